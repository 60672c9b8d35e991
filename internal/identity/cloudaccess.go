package identity

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/secret"
)

// CloudAccessView is a cloud access row as shown back to its owner: secrets masked.
type CloudAccessView struct {
	ID         string
	Bucket     string
	AccessKey  string
	SecretHint string
	TokenHint  string
	Region     string
	Endpoint   string
}

// CloudAccessInput is one row as submitted. An empty Secret or Token on a row with an ID
// keeps the stored value, so a form never needs the secret back to save other fields.
type CloudAccessInput struct {
	ID        string
	Bucket    string
	AccessKey string
	Secret    string
	Token     string
	Region    string
	Endpoint  string
}

const maxCloudAccessRows = 100

func cloudContext(userID, field string) string { return "cloud_access:" + userID + ":" + field }

// CloudAccess lists the caller's rows with secrets masked.
func (s *Service) CloudAccess(ctx context.Context) ([]CloudAccessView, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.CloudAccess(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]CloudAccessView, 0, len(rows))
	for _, r := range rows {
		v := CloudAccessView{ID: r.ID, Bucket: r.Bucket, AccessKey: r.AccessKey,
			Region: r.Region, Endpoint: r.Endpoint}
		if plain, err := s.keys.Open(r.Secret, cloudContext(p.UserID, "secret")); err == nil {
			v.SecretHint = secret.Mask(string(plain))
		}
		if plain, err := s.keys.Open(r.Token, cloudContext(p.UserID, "token")); err == nil {
			v.TokenHint = secret.Mask(string(plain))
		}
		out = append(out, v)
	}
	return out, nil
}

// SetCloudAccess replaces the caller's rows. Every row is validated before anything is
// stored; secrets are sealed.
func (s *Service) SetCloudAccess(ctx context.Context, in []CloudAccessInput) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if len(in) > maxCloudAccessRows {
		return apperr.Invalidf("At most %d cloud access rows", maxCloudAccessRows)
	}
	old, err := s.store.CloudAccess(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return err
	}
	byID := map[string]CloudAccess{}
	for _, r := range old {
		byID[r.ID] = r
	}
	rows := make([]CloudAccess, 0, len(in))
	for i, r := range in {
		row, err := s.cloudRow(p, i, r, byID)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.ReplaceCloudAccess(ctx, p.WorkspaceID, p.UserID, rows); err != nil {
			return err
		}
		buckets := make([]string, len(rows))
		for i, r := range rows {
			buckets[i] = r.Bucket
		}
		return s.audit.Record(ctx, p.WorkspaceID, "cloud_access.set", "user", p.UserID,
			map[string]any{"buckets": buckets})
	})
}

func (s *Service) cloudRow(p Principal, i int, r CloudAccessInput,
	old map[string]CloudAccess) (CloudAccess, error) {
	field := func(name string) string { return "rows." + strconv.Itoa(i) + "." + name }
	r.Bucket, r.AccessKey = strings.TrimSpace(r.Bucket), strings.TrimSpace(r.AccessKey)
	r.Region, r.Endpoint = strings.TrimSpace(r.Region), strings.TrimSpace(r.Endpoint)
	if r.Bucket == "" {
		return CloudAccess{}, apperr.Invalidf("Bucket is required").OnField(field("bucket"))
	}
	for name, v := range map[string]string{"bucket": r.Bucket, "key": r.AccessKey,
		"region": r.Region, "endpoint": r.Endpoint} {
		if len(v) > 1024 {
			return CloudAccess{}, apperr.Invalidf("Too long").OnField(field(name))
		}
	}
	if len(r.Secret) > 8192 || len(r.Token) > 8192 {
		return CloudAccess{}, apperr.Invalidf("Too long").OnField(field("secret"))
	}
	endpoint, err := normalizeEndpoint(r.Endpoint)
	if err != nil {
		return CloudAccess{}, err.(*apperr.Error).OnField(field("endpoint"))
	}
	row := CloudAccess{ID: r.ID, WorkspaceID: p.WorkspaceID, UserID: p.UserID, Position: i,
		Bucket: r.Bucket, AccessKey: r.AccessKey, Region: r.Region, Endpoint: endpoint,
		UpdatedAt: s.now()}
	prev, known := old[r.ID]
	if !known {
		row.ID = secret.ID()
	}
	row.Secret = s.sealOrKeep(r.Secret, prev.Secret, known, cloudContext(p.UserID, "secret"))
	row.Token = s.sealOrKeep(r.Token, prev.Token, known, cloudContext(p.UserID, "token"))
	return row, nil
}

func (s *Service) sealOrKeep(plain, prev string, known bool, context string) string {
	if plain == "" && known {
		return prev
	}
	if plain == "" {
		return ""
	}
	return s.keys.Seal([]byte(plain), context)
}

// normalizeEndpoint prefixes a scheme-less endpoint with http:// (https:// when it ends in
// 443), as the reference web app does, and refuses anything that is not a host URL.
func normalizeEndpoint(e string) (string, error) {
	if e == "" {
		return "", nil
	}
	if !strings.Contains(e, "://") {
		if strings.HasSuffix(e, "443") {
			e = "https://" + e
		} else {
			e = "http://" + e
		}
	}
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", apperr.Invalidf("Endpoint must be a host or an http(s) URL")
	}
	return e, nil
}
