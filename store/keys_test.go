package store

import (
	"context"
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	k := Key{Fingerprint: "AB12", Kind: KeyOpenPGP, Data: []byte("armored"), UserIDs: []string{"CERT <cert@cert.example>"},
		Addresses: []string{"Cert@cert.example", "soc@cert.example"}, ImportedAt: now}
	if err := st.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	// Imported again, with one address less: the binding follows.
	k.Addresses, k.Data = []string{"cert@cert.example"}, []byte("armored2")
	if err := st.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := st.KeysFor(ctx, "CERT@cert.example")
	if err != nil || len(got) != 1 || string(got[0].Data) != "armored2" || len(got[0].Addresses) != 1 {
		t.Fatalf("KeysFor = %+v, %v", got, err)
	}
	if got, _ := st.KeysFor(ctx, "soc@cert.example"); len(got) != 0 {
		t.Errorf("a dropped address still has the key: %+v", got)
	}
	all, err := st.Keys(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("Keys = %+v, %v", all, err)
	}
}
