package samlsp

import (
	"encoding/base64"
	"testing"
)

func FuzzFinish(f *testing.F) {
	idp, c := setup(f, nil)
	resp, id := login(f, idp, c)
	raw, _ := base64.StdEncoding.DecodeString(resp)
	f.Add([]byte(resp))
	f.Add(raw)
	f.Add([]byte("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"))

	f.Fuzz(func(t *testing.T, b []byte) {
		// Both as the posted value and as the XML it would decode to.
		_, _ = Finish(c, string(b), id, realNow)
		_, _ = Finish(c, base64.StdEncoding.EncodeToString(b), id, realNow)
	})
}

func FuzzParseIDPMetadata(f *testing.F) {
	idp, _ := setup(f, nil)
	f.Add(idp.MetadataXML())
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`))

	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseIDPMetadata(b)
	})
}
