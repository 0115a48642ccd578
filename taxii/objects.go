package taxii

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/store"
)

// entry is one object of a collection and when it was added to it.
type entry struct {
	obj   export.STIXObject
	added time.Time
}

func sortEntries(es []entry) {
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(a.added.Compare(b.added), cmp.Compare(a.obj.ID, b.obj.ID))
	})
}

// envelope is the envelope resource (section 3.7).
type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// manifest is the manifest resource (section 5.3.1).
type manifest struct {
	More    bool            `json:"more"`
	Next    string          `json:"next,omitempty"`
	Objects []manifestEntry `json:"objects,omitempty"`
}

type manifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// versions is the versions resource (section 5.7.1).
type versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// listed runs the request's query on collection c's entries, of one
// object only when oid is set: the page, and the next cursor.
func (s *Server) listed(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey, oid string) ([]entry, *cursor, bool) {
	c, ok := s.collectionFor(w, r, k, r.PathValue("id"))
	if !ok {
		return nil, nil, false
	}
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", err.Error())
		return nil, nil, false
	}
	if oid != "" {
		if !idRe.MatchString(oid) {
			writeError(w, http.StatusNotFound, "Not Found", "no such object in this collection")
			return nil, nil, false
		}
		q.ids = []string{oid}
	}
	es, err := s.entries(r.Context(), c)
	if err != nil {
		s.internal(w, r, err)
		return nil, nil, false
	}
	if oid != "" && !slices.ContainsFunc(es, func(e entry) bool { return e.obj.ID == oid }) {
		writeError(w, http.StatusNotFound, "Not Found", "no such object in this collection")
		return nil, nil, false
	}
	page, next := q.page(es)
	if len(page) > 0 {
		// Section 3.4.2: the first and last date_added of the page.
		w.Header().Set("X-TAXII-Date-Added-First", page[0].added.UTC().Format(timeLayout))
		w.Header().Set("X-TAXII-Date-Added-Last", page[len(page)-1].added.UTC().Format(timeLayout))
	}
	setServed(r, len(page))
	return page, next, true
}

func nextOf(c *cursor) (bool, string) {
	if c == nil {
		return false, ""
	}
	return true, c.String()
}

// objects answers GET .../collections/{id}/objects/ (section 5.4) and
// .../objects/{object-id}/ (section 5.5).
func (s *Server) objects(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey) {
	page, next, ok := s.listed(w, r, k, r.PathValue("oid"))
	if !ok {
		return
	}
	var env envelope
	env.More, env.Next = nextOf(next)
	for _, e := range page {
		env.Objects = append(env.Objects, e.obj.JSON)
	}
	writeJSON(w, http.StatusOK, env)
}

// manifestOf answers GET .../collections/{id}/manifest/ (section 5.3).
func (s *Server) manifestOf(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey) {
	page, next, ok := s.listed(w, r, k, "")
	if !ok {
		return
	}
	var m manifest
	m.More, m.Next = nextOf(next)
	for _, e := range page {
		m.Objects = append(m.Objects, manifestEntry{ID: e.obj.ID, DateAdded: e.added.UTC().Format(timeLayout),
			Version: e.obj.Version, MediaType: MediaSTIX})
	}
	writeJSON(w, http.StatusOK, m)
}

// versionsOf answers GET .../objects/{object-id}/versions/ (section 5.7):
// the server holds the current version of each object only.
func (s *Server) versionsOf(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey) {
	page, next, ok := s.listed(w, r, k, r.PathValue("oid"))
	if !ok {
		return
	}
	var v versions
	v.More, v.Next = nextOf(next)
	for _, e := range page {
		v.Versions = append(v.Versions, e.obj.Version)
	}
	writeJSON(w, http.StatusOK, v)
}
