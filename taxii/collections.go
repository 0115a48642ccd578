package taxii

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/store"
)

// PublicAlias is the alias of the public collection.
const PublicAlias = "public"

// Ticket is a ticket as the collections see it: what the export reads,
// and the reporting institution's country and sector, which decide the
// views of scoped keys.
type Ticket struct {
	export.Ticket
	Country, Sector string
}

// collection is one collection of the API root.
type collection struct {
	ID    string
	Alias string
	Title string
	Desc  string
	// key is the key whose view this is; nil for the public collection.
	key *store.TAXIIKey
}

// resource is the collection resource (section 5.2.1).
type resource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func (c collection) resource() resource {
	return resource{ID: c.ID, Title: c.Title, Description: c.Desc, Alias: c.Alias,
		CanRead: true, CanWrite: false, MediaTypes: []string{MediaSTIX}}
}

// publicCollection is the public one: CLEAR and GREEN, verified.
func (s *Server) publicCollection() collection {
	return collection{ID: export.NameID(s.cfg.League, "taxii-collection", PublicAlias), Alias: PublicAlias,
		Title: s.cfg.League + ": public feed",
		Desc:  "Indicators verified by the league's triagers, TLP:CLEAR and TLP:GREEN."}
}

// keyCollection is the view of key k. Its id follows from the key's
// name, so that a consumer whose key is replaced under the same name
// keeps its collection (and its position in it).
func (s *Server) keyCollection(k store.TAXIIKey) collection {
	return collection{ID: export.NameID(s.cfg.League, "taxii-collection", "key", k.Name), Alias: k.Name,
		Title: s.cfg.League + ": feed for " + k.Name,
		Desc:  "Indicators verified by the league's triagers: TLP:CLEAR and TLP:GREEN, and " + scopeText(k) + ".",
		key:   &k}
}

// scopeText says what a key sees above GREEN.
func scopeText(k store.TAXIIKey) string {
	l, err := export.ParseTLP(k.TLP)
	if err != nil || l <= export.Green {
		return "nothing stricter"
	}
	s := "up to TLP:" + strings.ToUpper(k.TLP) + " of the tickets of "
	switch {
	case k.Country != "" && k.Sector != "":
		return s + "institutions of the " + k.Sector + " sector in " + k.Country
	case k.Country != "":
		return s + "institutions in " + k.Country
	case k.Sector != "":
		return s + "institutions of the " + k.Sector + " sector"
	}
	return "up to TLP:" + strings.ToUpper(k.TLP) + " of every ticket"
}

// readable lists the collections the requester may read: the public one
// (for a key always, anonymously when [taxii] public is set) and the
// key's own view.
func (s *Server) readable(k *store.TAXIIKey) []collection {
	var out []collection
	if k != nil || s.cfg.Public {
		out = append(out, s.publicCollection())
	}
	if k != nil {
		out = append(out, s.keyCollection(*k))
	}
	return out
}

// collectionFor finds collection id for the requester, or answers: 401
// to an anonymous request that may read nothing or a collection of a key,
// 403 to a key asking for another key's collection, 404 for an id that
// names nothing.
func (s *Server) collectionFor(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey, id string) (collection, bool) {
	for _, c := range s.readable(k) {
		if c.ID == id || (c.Alias == id && id != "") {
			return c, true
		}
	}
	if k == nil {
		s.unauthorized(w, "this collection needs an API key")
		return collection{}, false
	}
	if id == s.publicCollection().ID {
		// Unreachable: a key reads the public collection.
		writeError(w, http.StatusForbidden, "Forbidden", "this key may not read this collection")
		return collection{}, false
	}
	keys, err := s.src.TAXIIKeys(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return collection{}, false
	}
	for _, other := range keys {
		if other.RevokedAt.IsZero() && s.keyCollection(other).ID == id {
			writeError(w, http.StatusForbidden, "Forbidden", "this key may not read this collection; its own is "+s.keyCollection(*k).ID)
			return collection{}, false
		}
	}
	writeError(w, http.StatusNotFound, "Not Found", "no such collection")
	return collection{}, false
}

// view is what collection c holds of ts: every ticket up to GREEN, and
// the stricter ones only in the key's scope; then the export's rules
// (export.Filter) up to the key's TLP.
func (s *Server) view(c collection, ts []Ticket) ([]export.Ticket, export.Options) {
	o := export.Options{League: s.cfg.League, TLPMax: "green"}
	if c.key == nil {
		out := make([]export.Ticket, len(ts))
		for i, t := range ts {
			out[i] = t.Ticket
		}
		return out, o
	}
	k := c.key
	o.TLPMax = k.TLP
	var out []export.Ticket
	for _, t := range ts {
		l, err := export.ParseTLP(t.TLP)
		if err == nil && l <= export.Green || inScope(*k, t) {
			out = append(out, t.Ticket)
		}
	}
	return out, o
}

// inScope says whether a ticket is of the key's country and sector (each
// when the key names one). A ticket whose reporter is no institution has
// neither, and is in the scope of unscoped keys only.
func inScope(k store.TAXIIKey, t Ticket) bool {
	if k.Country != "" && !strings.EqualFold(k.Country, t.Country) {
		return false
	}
	if k.Sector != "" && !strings.EqualFold(k.Sector, t.Sector) {
		return false
	}
	return true
}

// entries are the objects of collection c with their date_added, in
// date_added order.
func (s *Server) entries(ctx context.Context, c collection) ([]entry, error) {
	ts, err := s.src.Tickets(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the tickets: %w", err)
	}
	view, o := s.view(c, ts)
	sum := fingerprint(view, o)
	if es, ok := s.cache.get(c.ID, sum); ok {
		return es, nil
	}
	objs, err := export.STIXObjects(view, o)
	if err != nil {
		return nil, err
	}
	vs := make([]store.ObjectVersion, len(objs))
	for i, obj := range objs {
		vs[i] = store.ObjectVersion{ID: obj.ID, Version: obj.Version}
	}
	added, err := s.src.DateAdded(ctx, c.ID, vs)
	if err != nil {
		return nil, err
	}
	out := make([]entry, len(objs))
	for i, obj := range objs {
		out[i] = entry{obj: obj, added: added[vs[i]]}
	}
	sortEntries(out)
	s.cache.put(c.ID, sum, out)
	return out, nil
}

// PublicCollectionID is the id of the public collection of league.
func PublicCollectionID(league string) string {
	return (&Server{cfg: Config{League: league}}).publicCollection().ID
}

// KeyCollectionID is the id of the collection of the key named name.
func KeyCollectionID(league, name string) string {
	return (&Server{cfg: Config{League: league}}).keyCollection(store.TAXIIKey{Name: name}).ID
}

// STIXIDOf is the id of an indicator in every collection: the export's.
func STIXIDOf(league, typ, value string) string { return export.STIXID(league, typ, value) }

// ReportID is the id of ticket n's report object.
func ReportID(league string, n int64) string {
	return "report--" + export.NameID(league, "report", strconv.FormatInt(n, 10))
}
