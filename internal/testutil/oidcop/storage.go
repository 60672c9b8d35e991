package oidcop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the in-memory op.Storage behind a Provider: one client, its users, pending
// authorization requests, codes and access tokens, and one RSA signing key.
type storage struct {
	client  *client
	key     *rsa.PrivateKey
	keyID   string
	minimal bool // id tokens carry no user claims; they come from userinfo only

	mu       sync.Mutex
	users    map[string]User
	next     string
	requests map[string]*authRequest
	codes    map[string]string // code -> auth request id
	tokens   map[string]accessToken
}

type accessToken struct {
	subject string
	scopes  []string
	expires time.Time
}

var errNotFound = errors.New("not found")

func newStorage(c *client, key *rsa.PrivateKey, minimal bool) *storage {
	return &storage{
		client:   c,
		key:      key,
		keyID:    rand.Text(),
		minimal:  minimal,
		users:    map[string]User{},
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]accessToken{},
	}
}

// login marks the request as authenticated by the user chosen with SetNextLogin. With
// no user chosen (or an unknown one) the request stays pending, and the provider's
// callback answers the client with interaction_required, as a real provider would.
func (s *storage) login(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return fmt.Errorf("auth request %q: %w", id, errNotFound)
	}
	if _, ok := s.users[s.next]; ok {
		r.subject = s.next
		r.authTime = time.Now()
		r.done = true
	}
	return nil
}

func (s *storage) user(subject string) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[subject]
	if !ok {
		return User{}, fmt.Errorf("user %q: %w", subject, errNotFound)
	}
	return u, nil
}

// CreateAuthRequest stores a validated authorization request until login completes.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (
	op.AuthRequest, error) {
	r := &authRequest{id: rand.Text(), req: *req}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[r.id] = r
	return r, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, fmt.Errorf("auth request %q: %w", id, errNotFound)
	}
	cp := *r
	return &cp, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("code: %w", errNotFound)
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is called once the code is exchanged, which makes codes single-use.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time,
	error) {
	id := rand.Text()
	exp := time.Now().Add(5 * time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = accessToken{subject: req.GetSubject(), scopes: req.GetScopes(), expires: exp}
	return id, exp, nil
}

var errNoRefresh = errors.New("refresh tokens are not supported")

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (
	string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest,
	error) {
	return nil, errNoRefresh
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, token, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{id: s.keyID, key: s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, fmt.Errorf("client %q: %w", id, errNotFound)
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || subtle.ConstantTimeCompare([]byte(secret), []byte(s.client.secret)) != 1 {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string,
	[]string) error {
	return nil
}

// SetUserinfoFromRequest fills the id token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo,
	req op.IDTokenRequest, scopes []string) error {
	info.Subject = req.GetSubject()
	if s.minimal {
		return nil
	}
	u, err := s.user(req.GetSubject())
	if err != nil {
		return err
	}
	fillUserinfo(info, u, scopes)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint for an access token.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID,
	subject, _ string) error {
	s.mu.Lock()
	tok, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || tok.subject != subject || time.Now().After(tok.expires) {
		return errors.New("access token is invalid or expired")
	}
	u, err := s.user(subject)
	if err != nil {
		return err
	}
	fillUserinfo(info, u, tok.scopes)
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse,
	string, string, string) error {
	return errors.New("introspection is not supported")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (
	map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey,
	error) {
	return nil, errors.New("jwt profile is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile is not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// fillUserinfo sets the standard claims the scopes ask for, and groups always.
func fillUserinfo(info *oidc.UserInfo, u User, scopes []string) {
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
		// The struct field omits false; a real provider states it.
		info.AppendClaims("email_verified", u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.GivenName = u.GivenName
		info.FamilyName = u.FamilyName
		info.Picture = u.Picture
	}
	if u.Groups != nil {
		info.AppendClaims("groups", slices.Clone(u.Groups))
	}
}
