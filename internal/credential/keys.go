package credential

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
)

const accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewAccessKey returns 30 characters drawn uniformly from A-Z and 0-9, the shape ClearML
// clients expect.
func NewAccessKey() string {
	b := make([]byte, 30)
	n := big.NewInt(int64(len(accessKeyAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = accessKeyAlphabet[v.Int64()]
	}
	return string(b)
}

// NewSecretKey returns 50 random bytes, URL-safe base64 encoded (67 characters), drawn
// again until it does not start with "-" or "_" so it pastes safely into YAML and shells.
func NewSecretKey() string {
	for {
		b := make([]byte, 50)
		rand.Read(b)
		s := base64.RawURLEncoding.EncodeToString(b)
		if s[0] != '-' && s[0] != '_' {
			return s
		}
	}
}
