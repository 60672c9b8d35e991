package samlsp

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"atrium/internal/testutil/samlidp"
)

func TestRefusals(t *testing.T) {
	idp, c := setup(t, nil)

	tests := []struct {
		name string
		// prepare returns the config, response and request ID to pass to Finish.
		prepare func(t *testing.T) (Config, string, string)
		now     func() time.Time
		want    error
	}{
		{"signatures stripped", func(t *testing.T) (Config, string, string) {
			resp, id := login(t, idp, c)
			return c, editXML(t, resp, removeSignatures), id
		}, realNow, ErrUnsigned},
		{"attribute tampered after signing", func(t *testing.T) (Config, string, string) {
			resp, id := login(t, idp, c)
			return c, editXML(t, resp, func(root *etree.Element) {
				for _, v := range root.FindElements("//AttributeValue") {
					if v.Text() == alice.Email {
						v.SetText("mallory@example.test")
					}
				}
			}), id
		}, realNow, ErrSignature},
		{"wrong InResponseTo", func(t *testing.T) (Config, string, string) {
			resp, _ := login(t, idp, c)
			return c, resp, "id-someone-elses-request"
		}, realNow, ErrRequest},
		{"no request ID (IdP-initiated)", func(t *testing.T) (Config, string, string) {
			resp, _ := login(t, idp, c)
			return c, resp, ""
		}, realNow, ErrRequest},
		{"expired", func(t *testing.T) (Config, string, string) {
			resp, id := login(t, idp, c)
			return c, resp, id
		}, func() time.Time { return time.Now().Add(2 * time.Hour) }, ErrExpired},
		{"issued in the future", func(t *testing.T) (Config, string, string) {
			resp, id := login(t, idp, c)
			return c, resp, id
		}, func() time.Time { return time.Now().Add(-30 * time.Minute) }, ErrNotYetValid},
		{"wrong audience", func(t *testing.T) (Config, string, string) {
			resp, id := login(t, idp, c)
			other := c
			other.EntityID = "https://other.example.test/sp"
			return other, resp, id
		}, realNow, ErrAudience},
		{"wrong recipient", func(t *testing.T) (Config, string, string) {
			resp, id := login(t, idp, c)
			other := c
			other.ACSURL = "https://atrium.example.test/other/acs"
			return other, resp, id
		}, realNow, ErrDestination},
		{"garbage base64", func(t *testing.T) (Config, string, string) {
			return c, "%%% not base64 %%%", "id-1"
		}, realNow, ErrMalformed},
		{"garbage XML", func(t *testing.T) (Config, string, string) {
			return c, base64.StdEncoding.EncodeToString([]byte("<Response><unclosed>")), "id-1"
		}, realNow, ErrMalformed},
		{"not a Response", func(t *testing.T) (Config, string, string) {
			return c, base64.StdEncoding.EncodeToString([]byte("<a/>")), "id-1"
		}, realNow, ErrMalformed},
		{"too large", func(t *testing.T) (Config, string, string) {
			return c, strings.Repeat("A", 4*MaxResponseSize), "id-1"
		}, realNow, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, resp, id := tt.prepare(t)
			got, err := Finish(cfg, resp, id, tt.now)
			wantErr(t, err, tt.want)
			if got.NameID != "" {
				t.Errorf("refused Finish returned NameID %q", got.NameID)
			}
		})
	}
}

func removeSignatures(root *etree.Element) {
	for _, sig := range root.FindElements("//Signature") {
		sig.Parent().RemoveChild(sig)
	}
}

// TestSignatureWrapping moves the signed assertion and inserts an unsigned one naming
// another user (XML signature wrapping). The IdP signs only the assertion, so that the
// Response itself offers no protection.
func TestSignatureWrapping(t *testing.T) {
	idp, c := setup(t, nil)
	idp.SetSigning(samlidp.SignAssertionOnly)

	tests := []struct {
		name string
		wrap func(root, signed, evil *etree.Element)
	}{
		{"evil assertion before the signed one", func(root, signed, evil *etree.Element) {
			root.InsertChildAt(signed.Index(), evil)
		}},
		{"signed assertion nested in the evil one", func(root, signed, evil *etree.Element) {
			root.RemoveChild(signed)
			evil.AddChild(signed)
			root.AddChild(evil)
		}},
		{"evil assertion carries the signature", func(root, signed, evil *etree.Element) {
			sig := signed.SelectElement("Signature")
			evil.InsertChildAt(1, sig.Copy())
			root.RemoveChild(signed)
			evil.AddChild(signed)
			root.AddChild(evil)
		}},
		{"evil assertion takes the signed ID", func(root, signed, evil *etree.Element) {
			evil.CreateAttr("ID", signed.SelectAttrValue("ID", ""))
			evil.InsertChildAt(1, signed.SelectElement("Signature").Copy())
			signed.CreateAttr("ID", "id-moved")
			root.RemoveChild(signed)
			extensions := root.CreateElement("samlp:Extensions")
			extensions.AddChild(signed)
			root.AddChild(evil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, id := login(t, idp, c)
			resp = editXML(t, resp, func(root *etree.Element) {
				signed := child(t, root, "Assertion")
				evil := signed.Copy()
				if sig := evil.SelectElement("Signature"); sig != nil {
					evil.RemoveChild(sig)
				}
				evil.CreateAttr("ID", "id-evil")
				for _, n := range evil.FindElements("//NameID") {
					n.SetText("evil")
				}
				tt.wrap(root, signed, evil)
			})

			got, err := Finish(c, resp, id, realNow)
			if err == nil || got.NameID == "evil" {
				t.Fatalf("Finish = %+v, %v; want a refusal", got, err)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// TestReplayIsCallersCheck: Finish is stateless, so the same response is accepted twice;
// the caller refuses the second by its recorded AssertionID.
func TestReplayIsCallersCheck(t *testing.T) {
	idp, c := setup(t, nil)
	resp, id := login(t, idp, c)

	first, err := Finish(c, resp, id, realNow)
	if err != nil {
		t.Fatalf("first Finish: %v", err)
	}
	second, err := Finish(c, resp, id, realNow)
	if err != nil {
		t.Fatalf("second Finish: %v", err)
	}
	if first.AssertionID == "" || first.AssertionID != second.AssertionID {
		t.Fatalf("AssertionIDs %q and %q, want equal and non-empty",
			first.AssertionID, second.AssertionID)
	}
}
