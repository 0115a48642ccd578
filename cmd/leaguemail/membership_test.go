package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// The contacts file's optional column subscribed (issue 15):
// a hospital that left by mail is not brought back by a re-import without
// the column; one with "yes" is.
func TestContactsSubscribedCovers(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "test.db")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaguemail := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(args, "--db", db), &out, &errb)
		return code, out.String(), errb.String()
	}
	byEmail := func() map[string]store.Contact {
		t.Helper()
		_, out, _ := leaguemail("contacts", "list", "--json")
		var cs []store.Contact
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatal(err)
		}
		m := map[string]store.Contact{}
		for _, c := range cs {
			m[c.Email] = c
		}
		return m
	}
	f := write("c.csv", "kind,name,email,country,region,subscribed,covers\n"+
		"institution,St Mary,soc@hospital.example,XX,North,,hospital.example st-mary-hospital.example\n"+
		"institution,Clinic,it@clinic.example,XX,North,no,\n")
	if code, out, errs := leaguemail("contacts", "import", f); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	cs := byEmail()
	if m := cs["soc@hospital.example"]; m.Unsubscribed || m.Covers != "hospital.example st-mary-hospital.example" {
		t.Errorf("St Mary %+v", m)
	}
	if !cs["it@clinic.example"].Unsubscribed {
		t.Error("the clinic is subscribed")
	}
	_, out, _ := leaguemail("contacts", "list")
	if !strings.Contains(out, "SUBSCRIBED") || !strings.Contains(out, "hospital.example st-mary-hospital.example") {
		t.Errorf("list:\n%s", out)
	}
	// St Mary leaves by mail; a re-import without the column keeps it out.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := tx.SetSubscribed(context.Background(), cs["soc@hospital.example"].ID, false)
		return err
	})
	st.Close()
	plain := write("plain.csv", "kind,name,email,country,region\ninstitution,St Mary,soc@hospital.example,XX,North\n")
	leaguemail("contacts", "import", plain)
	if m := byEmail()["soc@hospital.example"]; !m.Unsubscribed {
		t.Errorf("a plain re-import changed St Mary: %+v", m)
	}
	for _, bad := range []string{"institution,X,x@x.example,perhaps", "triager,,t@x.example,yes"} {
		f := write("bad.csv", "kind,name,email,subscribed\n"+bad+"\n")
		if code, _, errs := leaguemail("contacts", "import", f); code == 0 || !strings.Contains(errs, "bad.csv:2") {
			t.Errorf("%q: %d %s", bad, code, errs)
		}
	}
}

// The one-click link: a POST unsubscribes (RFC 8058), a GET only shows
// the button, a bad token is refused.
func TestUnsubscribeEndpoint(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := st.PutContact(ctx, store.Contact{Kind: "institution", Name: "Clinic", Email: "it@clinic.example", Country: "XX"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tg, err := triage.New(st, triage.Config{Address: "report@league.example", Secret: []byte("0123456789abcdef0123"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{cfg: &config.Config{}, log: log, st: st, triage: tg}
	mux := http.NewServeMux()
	mux.HandleFunc(unsubscribePattern, g.unsubscribe)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tok := tg.UnsubscribeToken(store.Contact{ID: id, Email: "it@clinic.example"})
	subscribed := func() bool {
		cs, _ := st.Contacts(ctx, "institution")
		return !cs[0].Unsubscribed
	}

	resp, err := http.Get(srv.URL + "/unsubscribe/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<form method="post">`) || !subscribed() {
		t.Fatalf("GET: %d %s; subscribed %v", resp.StatusCode, body, subscribed())
	}
	resp, _ = http.PostForm(srv.URL+"/unsubscribe/u1-aaaaaaaaaaaaaaaaaaaaaaaaaa", url.Values{"List-Unsubscribe": {"One-Click"}})
	if resp.StatusCode != http.StatusNotFound || !subscribed() {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
	// What a mail client sends (RFC 8058 section 3.2).
	resp, err = http.Post(srv.URL+"/unsubscribe/"+tok, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || subscribed() || !strings.Contains(string(body), "no more area alerts") {
		t.Fatalf("POST: %d %s; subscribed %v", resp.StatusCode, body, subscribed())
	}
	ms, _ := st.Outbox(ctx, store.OutboxFilter{})
	if len(ms) != 1 || ms[0].Template != "unsubscribed" || ms[0].Recipients[0] != "it@clinic.example" {
		t.Errorf("confirmation %+v", ms)
	}
}
