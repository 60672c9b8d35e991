package samlidp

import (
	"net/http"
	"os"
	"time"

	"github.com/crewjam/saml"
)

// sessions signs the current user in at once, without a login form.
type sessions struct{ i *IdP }

func (s sessions) GetSession(
	_ http.ResponseWriter, _ *http.Request, _ *saml.IdpAuthnRequest,
) *saml.Session {
	u, _ := s.i.state()
	now := time.Now()
	return &saml.Session{
		ID:               randomID(),
		CreateTime:       now,
		ExpireTime:       now.Add(time.Hour),
		Index:            randomID(),
		NameID:           u.NameID,
		NameIDFormat:     string(saml.UnspecifiedNameIDFormat),
		CustomAttributes: attributes(u),
	}
}

// attributes lists the user's attributes as the package comment describes.
func attributes(u User) []saml.Attribute {
	const basic = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	var out []saml.Attribute
	add := func(name, friendly, format string, values ...string) {
		var vs []saml.AttributeValue
		for _, v := range values {
			if v != "" {
				vs = append(vs, saml.AttributeValue{Type: "xs:string", Value: v})
			}
		}
		if len(vs) > 0 {
			out = append(out, saml.Attribute{
				Name: name, FriendlyName: friendly, NameFormat: format, Values: vs,
			})
		}
	}
	add("email", "", basic, u.Email)
	add("displayName", "", basic, u.Name)
	add("givenName", "", basic, u.GivenName)
	add("surname", "", basic, u.Surname)
	add("groups", "", basic, u.Groups...)
	add("urn:oid:0.9.2342.19200300.100.1.3", "mail",
		"urn:oasis:names:tc:SAML:2.0:attrname-format:uri", u.Email)
	return out
}

// serviceProviders answers with the metadata given to RegisterSP.
type serviceProviders struct{ i *IdP }

func (p serviceProviders) GetServiceProvider(
	_ *http.Request, id string,
) (*saml.EntityDescriptor, error) {
	p.i.mu.Lock()
	defer p.i.mu.Unlock()
	ed, ok := p.i.sps[id]
	if !ok {
		return nil, os.ErrNotExist
	}
	return ed, nil
}
