package store

import (
	"context"
	"errors"
	"testing"
)

func TestTAXIIKeys(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if _, err := st.AddTAXIIKey(ctx, TAXIIKey{Name: "cert-fr", TLP: "amber", Country: "FR"}, []byte("hash-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTAXIIKey(ctx, TAXIIKey{Name: "cert-fr", TLP: "green"}, []byte("hash-2")); !errors.Is(err, ErrKeyName) {
		t.Fatalf("a second live key of the same name: %v", err)
	}
	if _, err := st.AddTAXIIKey(ctx, TAXIIKey{Name: "red", TLP: "red"}, []byte("hash-3")); err == nil {
		t.Fatal("a TLP:RED key was stored")
	}
	k, stored, err := st.TAXIIKeyByHash(ctx, []byte("hash-1"))
	if err != nil || k.Name != "cert-fr" || k.Country != "FR" || string(stored) != "hash-1" {
		t.Fatalf("by hash: %+v %q %v", k, stored, err)
	}
	if err := st.RevokeTAXIIKey(ctx, "cert-fr"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.TAXIIKeyByHash(ctx, []byte("hash-1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a revoked key is still found: %v", err)
	}
	if err := st.RevokeTAXIIKey(ctx, "cert-fr"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	// The name is free again once revoked.
	if _, err := st.AddTAXIIKey(ctx, TAXIIKey{Name: "cert-fr", TLP: "green"}, []byte("hash-4")); err != nil {
		t.Fatal(err)
	}
	ks, err := st.TAXIIKeys(ctx)
	if err != nil || len(ks) != 2 || ks[0].RevokedAt.IsZero() || !ks[1].RevokedAt.IsZero() {
		t.Fatalf("list: %+v %v", ks, err)
	}
	if n, err := st.LiveTAXIIKeys(ctx); err != nil || n != 1 {
		t.Fatalf("live keys: %d %v", n, err)
	}
}

func TestDateAdded(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	a, b, c := ObjectVersion{"indicator--a", "v1"}, ObjectVersion{"indicator--b", "v1"}, ObjectVersion{"indicator--a", "v2"}
	first, err := st.DateAdded(ctx, "col", []ObjectVersion{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if !first[a].Before(first[b]) {
		t.Fatalf("stamps of one batch not distinct and in order: %v %v", first[a], first[b])
	}
	again, err := st.DateAdded(ctx, "col", []ObjectVersion{b, a, c})
	if err != nil {
		t.Fatal(err)
	}
	if !again[a].Equal(first[a]) || !again[b].Equal(first[b]) {
		t.Fatalf("date_added moved: %v -> %v", first, again)
	}
	if !again[c].After(first[b]) {
		t.Fatalf("a new version %v is not after every earlier stamp %v", again[c], first[b])
	}
	// Collections are apart: the same version is new in another.
	other, err := st.DateAdded(ctx, "other", []ObjectVersion{a})
	if err != nil || !other[a].After(first[a]) {
		t.Fatalf("another collection: %v %v", other, err)
	}
}
