package samlidp

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Login follows the service provider's redirect URL (from samlsp.Begin) into the identity
// provider, as a browser would, and returns the form the identity provider's page would
// submit to the assertion consumer service: its action, SAMLResponse and RelayState. It
// fails t if the identity provider does not answer with such a form.
func (i *IdP) Login(t testing.TB, redirectURL string) (acsURL, samlResponseB64, relayState string) {
	t.Helper()
	if !strings.HasPrefix(redirectURL, i.srv.URL+"/") {
		t.Fatalf("login: %q is not a URL of this identity provider (%s)", redirectURL, i.srv.URL)
	}
	resp, err := i.srv.Client().Get(redirectURL)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("login: read page: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: identity provider answered %d: %s", resp.StatusCode, body)
	}

	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("login: parse page: %v", err)
	}
	form := find(doc, "form")
	if form == nil {
		t.Fatalf("login: no form in the identity provider's page: %s", body)
	}
	fields := map[string]string{}
	walk(form, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
			fields[attr(n, "name")] = attr(n, "value")
		}
	})
	if fields["SAMLResponse"] == "" {
		t.Fatalf("login: the form has no SAMLResponse: %s", body)
	}
	return attr(form, "action"), fields["SAMLResponse"], fields["RelayState"]
}

func find(n *html.Node, tag string) *html.Node {
	var found *html.Node
	walk(n, func(c *html.Node) {
		if found == nil && c.Type == html.ElementNode && c.Data == tag {
			found = c
		}
	})
	return found
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
