package vault

import (
	"context"
	"encoding/json"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/secret"
)

// StorageRow is one bucket's credentials from a "UI storage credentials" vault, as shown
// read-only in a member's web app cloud access: secrets masked.
type StorageRow struct {
	Bucket     string
	AccessKey  string
	SecretHint string
	TokenHint  string
	Region     string
	Endpoint   string
	VaultName  string
}

// storageDoc is the shape of a storage_credentials vault:
//
//	credentials: [ { bucket, key, secret, token, region, endpoint } ]
type storageDoc struct {
	Credentials []struct {
		Bucket   string `json:"bucket"`
		Key      string `json:"key"`
		Secret   string `json:"secret"`
		Token    string `json:"token"`
		Region   string `json:"region"`
		Endpoint string `json:"endpoint"`
	} `json:"credentials"`
}

// parseStorage reads a storage_credentials vault's tree; every entry needs a bucket.
func parseStorage(p parsed) (storageDoc, error) {
	var doc storageDoc
	js, err := p.tree.JSON()
	if err == nil {
		err = json.Unmarshal(js, &doc)
	}
	if err != nil {
		return storageDoc{}, apperr.Invalidf("Validation error (a storage credentials vault "+
			"holds credentials: [{bucket, key, secret, token, region, endpoint}], all strings)").
			WithSub(400, 12).OnField("data")
	}
	for i, c := range doc.Credentials {
		if strings.TrimSpace(c.Bucket) == "" {
			return storageDoc{}, apperr.Invalidf("Validation error (credentials entry %d has no "+
				"bucket)", i+1).WithSub(400, 12).OnField("data")
		}
	}
	return doc, nil
}

// StorageCredentials lists the bucket credentials that enabled "UI storage credentials"
// vaults push to the caller, lowest precedence first, secrets masked.
func (s *Service) StorageCredentials(ctx context.Context) ([]StorageRow, error) {
	enabled := true
	list, err := s.ForCaller(ctx, Query{Enabled: &enabled, Types: []Type{TypeStorageCredentials}})
	if err != nil {
		return nil, err
	}
	var out []StorageRow
	for _, d := range list {
		p, err := parseData(d.Format, d.Data)
		if err != nil {
			continue
		}
		doc, err := parseStorage(p)
		if err != nil {
			continue
		}
		for _, c := range doc.Credentials {
			out = append(out, StorageRow{Bucket: c.Bucket, AccessKey: c.Key,
				SecretHint: secret.Mask(c.Secret), TokenHint: secret.Mask(c.Token),
				Region: c.Region, Endpoint: c.Endpoint, VaultName: d.Description})
		}
	}
	return out, nil
}
