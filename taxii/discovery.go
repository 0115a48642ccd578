package taxii

import (
	"net/http"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// RootPath is the path of the one API root, under the discovery path.
const (
	DiscoveryPath = "/taxii2/"
	RootPath      = "/taxii2/api/"
)

// discoveryResource is the discovery resource (section 4.1.1).
type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

// apiRoot is the API root resource (section 4.2.1).
type apiRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

// base is the URL the server is reached at: [http] public_url, else the
// request's own scheme and host.
func (s *Server) base(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *store.TAXIIKey) {
	root := s.base(r) + RootPath
	writeJSON(w, http.StatusOK, discoveryResource{
		Title:       s.cfg.League + " TAXII server",
		Description: "Indicators verified by the league's triagers, as STIX 2.1.",
		Contact:     s.cfg.Contact,
		Default:     root,
		APIRoots:    []string{root},
	})
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ *store.TAXIIKey) {
	writeJSON(w, http.StatusOK, apiRoot{
		Title:       s.cfg.League + " feeds",
		Description: "The public collection, and one collection per API key.",
		Versions:    []string{MediaTAXII},
		// Nothing may be added: the collections are read-only.
		MaxContentLength: 0,
	})
}

type collectionsResource struct {
	Collections []resource `json:"collections,omitempty"`
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey) {
	cs := s.readable(k)
	if len(cs) == 0 {
		s.unauthorized(w, "the collections need an API key")
		return
	}
	var out collectionsResource
	for _, c := range cs {
		out.Collections = append(out.Collections, c.resource())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, k *store.TAXIIKey) {
	c, ok := s.collectionFor(w, r, k, r.PathValue("id"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, c.resource())
}
