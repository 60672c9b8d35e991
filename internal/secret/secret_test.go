package secret

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, err := New(Random(KeySize))
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Seal([]byte("aws-secret"), "cloud:1")
	if got, err := k.Open(sealed, "cloud:1"); err != nil || string(got) != "aws-secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "cloud:2"); err == nil {
		t.Fatal("a value opened under another context")
	}
	other, _ := New(Random(KeySize))
	if _, err := other.Open(sealed, "cloud:1"); err == nil {
		t.Fatal("a value opened under another key")
	}
	if _, err := k.Open("plain text", "cloud:1"); err == nil {
		t.Fatal("plain text opened")
	}
	if k.Seal([]byte("x"), "c") == k.Seal([]byte("x"), "c") {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
}

func TestHashIsKeyedAndStable(t *testing.T) {
	master := Random(KeySize)
	a, _ := New(master)
	b, _ := New(master)
	c, _ := New(Random(KeySize))
	if a.Hash("p", "v") != b.Hash("p", "v") {
		t.Fatal("the same key hashes differently")
	}
	if a.Hash("p", "v") == c.Hash("p", "v") || a.Hash("p", "v") == a.Hash("q", "v") {
		t.Fatal("the hash ignores the key or the purpose")
	}
}

func TestLoadMaster(t *testing.T) {
	dir := t.TempDir()
	k1, created, err := LoadMaster("", dir)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("first load = %d bytes, created %v, %v", len(k1), created, err)
	}
	info, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	k2, created, err := LoadMaster("", dir)
	if err != nil || created || string(k1) != string(k2) {
		t.Fatal("second load did not read the same key")
	}
	hex := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	if k, _, err := LoadMaster(hex, dir); err != nil || k[1] != 0x11 {
		t.Fatalf("key from the environment: %v", err)
	}
	if _, _, err := LoadMaster("short", dir); err == nil {
		t.Fatal("a short key was accepted")
	}
}

func TestID(t *testing.T) {
	if id := ID(); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || id == ID() {
		t.Fatalf("ID() = %q", id)
	}
}
