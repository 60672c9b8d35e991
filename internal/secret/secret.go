// Package secret is the only code that touches raw key material. It loads the master key,
// derives one subkey per purpose with HKDF, seals values at rest with AES-256-GCM, and
// computes keyed hashes (HMAC-SHA256) for secrets that are verified but never read back.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the master key length in bytes.
const KeySize = 32

// sealPrefix marks a sealed value so a plain string is never mistaken for ciphertext.
const sealPrefix = "v1:"

// Keyring holds subkeys derived from the master key.
type Keyring struct {
	aead    cipher.AEAD
	hashKey []byte
}

// New derives a Keyring from a master key of KeySize bytes.
func New(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(master))
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, "atrium seal v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive seal key: %w", err)
	}
	hashKey, err := hkdf.Key(sha256.New, master, nil, "atrium keyed hash v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive hash key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return &Keyring{aead: aead, hashKey: hashKey}, nil
}

// Seal encrypts plaintext; context binds the ciphertext to where it is stored (for example
// "token_secret" or "cloud_access:<id>") so a value copied to another row fails to open.
func (k *Keyring) Seal(plaintext []byte, context string) string {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, plaintext, []byte(context))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// ErrOpen is returned when a sealed value is malformed or was sealed under another key or
// context.
var ErrOpen = errors.New("cannot open sealed value")

// Open decrypts a value made by Seal with the same context.
func (k *Keyring) Open(sealed, context string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, ErrOpen
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(data) < k.aead.NonceSize() {
		return nil, ErrOpen
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, data[:n], data[n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Hash returns the keyed hash of value under purpose, hex encoded.
func (k *Keyring) Hash(purpose, value string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Equal compares two hashes in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// LoadMaster returns the master key from env (hex or base64 of KeySize bytes) or, when env
// is empty, from the file "master.key" in dir, creating that file with mode 0600 on first
// use. created reports whether a new file was written.
func LoadMaster(env, dir string) (key []byte, created bool, err error) {
	if env != "" {
		key, err = decodeKey(env)
		return key, false, err
	}
	path := filepath.Join(dir, "master.key")
	data, err := os.ReadFile(path)
	if err == nil {
		key, err = decodeKey(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	key = make([]byte, KeySize)
	rand.Read(key)
	if err := writeKeyFile(path, key); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func writeKeyFile(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create master key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync master key file: %w", err)
	}
	return f.Close()
}

func decodeKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("master key must be %d bytes in hex or base64", KeySize)
}

// MasterExists reports whether dir holds a master key file.
func MasterExists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "master.key"))
	return err == nil
}

// ValidMaster reports whether a master key given in the environment is well formed.
func ValidMaster(env string) error {
	_, err := decodeKey(env)
	return err
}

// Random returns n random bytes.
func Random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// ID returns a new 32-character lowercase hex identifier (a random UUIDv4 without dashes),
// the shape ClearML clients recognise as an id.
func ID() string {
	b := Random(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b)
}

// Mask shows only the last four characters of a secret, for display.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return "••••"
	}
	return "••••" + s[len(s)-4:]
}
