package identity

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"atrium/internal/apperr"
	"atrium/internal/secret"
)

// argon2id parameters: the OWASP minimum for argon2id (19 MiB, two passes, one lane), which
// keeps a burst of sign-ins from exhausting memory on a small machine.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLength is the shortest password accepted. Length is the only composition
// rule: NIST SP 800-63B advises against the rest.
const MinPasswordLength = 12

// HashPassword returns the PHC-encoded argon2id hash of password.
func HashPassword(password string) string {
	salt := secret.Random(argonSaltLen)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory,
		argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches encoded. Malformed hashes never match.
func VerifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false
	}
	if mem == 0 || mem > 1<<20 || iters == 0 || iters > 10 || threads == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an e-mail is unknown, so a wrong e-mail takes as long
// as a wrong password and timing does not tell which one was wrong. It is made on first
// use: hashing costs 19 MiB that an idle server should not hold.
var dummyHash = sync.OnceValue(func() string { return HashPassword("atrium-timing-equaliser") })

// CheckPasswordRules returns an Invalid error on field "password" when pw is too short,
// too long, or one of the most common passwords.
func CheckPasswordRules(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength {
		return apperr.Invalidf("Password must be at least %d characters", MinPasswordLength).
			OnField("password")
	}
	if len(pw) > 1024 {
		return apperr.Invalidf("Password must be at most 1024 bytes").OnField("password")
	}
	if isCommonPassword(pw) {
		return apperr.Invalidf("This password is too common; choose another").OnField("password")
	}
	return nil
}

func isCommonPassword(pw string) bool {
	lower := strings.ToLower(pw)
	if commonPasswords[lower] {
		return true
	}
	// One repeated character or a run of one short pattern ("abcabcabcabc").
	for size := 1; size <= 4; size++ {
		if strings.Repeat(lower[:size], len(lower)/size+1)[:len(lower)] == lower {
			return true
		}
	}
	return strings.Contains("0123456789012345678901234567890", lower) ||
		strings.Contains("abcdefghijklmnopqrstuvwxyz", lower) ||
		strings.Contains("qwertyuiopasdfghjklzxcvbnm", lower)
}

// commonPasswords holds widely reused passwords of at least MinPasswordLength characters
// (shorter ones already fail the length rule).
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`
		123456789012 1234567890123 12345678901234 123456789012345 1234567890qwerty
		qwertyuiop123 qwerty123456 qwertyuiopasdf 1q2w3e4r5t6y 1q2w3e4r5t6y7u 1qaz2wsx3edc
		1qaz2wsx3edc4rfv zaq12wsxcde3 qazwsxedcrfv qazwsxedcrfvtgb passwordpassword
		password1234 password12345 password123456 password1234567 passw0rd1234 p@ssw0rd1234
		p@ssword1234 iloveyou1234 iloveyouiloveyou letmein12345 welcome12345 welcome123456
		administrator admin1234567 adminadmin123 changeme1234 changemenow1 trustno1trustno1
		football1234 baseball1234 superman1234 starwars1234 dragon123456 monkey123456
		sunshine1234 princess1234 whatever1234 michael12345 jennifer1234 abc123456789
		abcd12345678 aaaaaa111111 qwerty123qwerty 987654321098 0987654321qwerty
		correcthorsebatterystaple correcthorse123 mypassword123 secretpassword
		thisismypassword verysecurepassword supersecretpassword clearml12345
		clearmlclearml atrium123456 atriumatrium 11111111111111 00000000000000
	`) {
		commonPasswords[p] = true
	}
}
