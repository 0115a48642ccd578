// Package taxiitest is a TAXII 2.1 client written from the OASIS TAXII
// Version 2.1 specification, for the tests of package taxii and the e2e
// scenario: no TAXII client is packaged in Debian bookworm, so the
// protocol is driven by this one, which checks what a client relies on
// (the media type of every answer, the envelope, next and the
// X-TAXII-Date-Added-* headers) rather than trusting the server.
package taxiitest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MediaTAXII is what the client accepts and wants back.
const MediaTAXII = "application/taxii+json;version=2.1"

// Client talks to one TAXII server.
type Client struct {
	HTTP *http.Client
	// Key is the API key, sent as the password of HTTP Basic, or as a
	// Bearer token when Bearer is set; none when empty.
	Key    string
	Bearer bool
	// Accept overrides the Accept header (for the 406 tests).
	Accept string
}

// Error is an answer other than 200, with the server's error message.
type Error struct {
	Status  int
	Header  http.Header
	Title   string `json:"title"`
	Desc    string `json:"description"`
	HTTPStr string `json:"http_status"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("TAXII %d: %s: %s", e.Status, e.Title, e.Desc)
}

// Discovery is the discovery resource (section 4.1.1).
type Discovery struct {
	Title    string   `json:"title"`
	Default  string   `json:"default"`
	APIRoots []string `json:"api_roots"`
}

// APIRoot is the API root resource (section 4.2.1).
type APIRoot struct {
	Title    string   `json:"title"`
	Versions []string `json:"versions"`
}

// Collection is the collection resource (section 5.2.1).
type Collection struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Alias      string   `json:"alias"`
	CanRead    bool     `json:"can_read"`
	CanWrite   bool     `json:"can_write"`
	MediaTypes []string `json:"media_types"`
}

// Object is the part of a STIX object the tests look at, and its JSON.
type Object struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Modified string          `json:"modified"`
	Created  string          `json:"created"`
	Pattern  string          `json:"pattern"`
	Name     string          `json:"name"`
	Markings []string        `json:"object_marking_refs"`
	Raw      json.RawMessage `json:"-"`
}

// Page is one envelope (section 3.7) and its date headers.
type Page struct {
	More                  bool              `json:"more"`
	Next                  string            `json:"next"`
	RawObjs               []json.RawMessage `json:"objects"`
	Objects               []Object          `json:"-"`
	AddedFirst, AddedLast time.Time
}

// ManifestEntry is one record of a manifest (section 5.3.1).
type ManifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// Manifest is the manifest resource.
type Manifest struct {
	More    bool            `json:"more"`
	Next    string          `json:"next"`
	Objects []ManifestEntry `json:"objects"`
}

// Get fetches u and decodes its TAXII answer into v; an answer other
// than 200 is an *Error. Every answer, errors included, must be of
// MediaTAXII (sections 1.6.8 and 3.6).
func (c *Client) Get(u string, v any) (http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	accept := MediaTAXII
	if c.Accept != "" {
		accept = c.Accept
	}
	req.Header.Set("Accept", accept)
	if c.Key != "" {
		if c.Bearer {
			req.Header.Set("Authorization", "Bearer "+c.Key)
		} else {
			req.SetBasicAuth("consumer", c.Key)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "application/taxii+json" || params["version"] != "2.1" {
		return resp.Header, fmt.Errorf("GET %s: %d with Content-Type %q, want %s: %.200s", u, resp.StatusCode, resp.Header.Get("Content-Type"), MediaTAXII, body)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, Header: resp.Header}
		if err := json.Unmarshal(body, e); err != nil || e.Title == "" {
			return resp.Header, fmt.Errorf("GET %s: %d without an error message: %.200s", u, resp.StatusCode, body)
		}
		return resp.Header, e
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.Header, fmt.Errorf("GET %s: %w: %.200s", u, err, body)
	}
	return resp.Header, nil
}

// Discover reads the discovery resource at base + "/taxii2/".
func (c *Client) Discover(base string) (Discovery, error) {
	var d Discovery
	_, err := c.Get(strings.TrimSuffix(base, "/")+"/taxii2/", &d)
	return d, err
}

// Root reads an API root.
func (c *Client) Root(root string) (APIRoot, error) {
	var r APIRoot
	_, err := c.Get(root, &r)
	return r, err
}

// Collections lists the collections of an API root.
func (c *Client) Collections(root string) ([]Collection, error) {
	var cs struct {
		Collections []Collection `json:"collections"`
	}
	_, err := c.Get(root+"collections/", &cs)
	return cs.Collections, err
}

// Collection reads one collection resource.
func (c *Client) Collection(root, id string) (Collection, error) {
	var col Collection
	_, err := c.Get(root+"collections/"+url.PathEscape(id)+"/", &col)
	return col, err
}

// ObjectsPage gets one page of a collection's objects with the query q.
func (c *Client) ObjectsPage(root, id string, q url.Values) (Page, error) {
	return c.page(root+"collections/"+url.PathEscape(id)+"/objects/", q)
}

// Object gets one object of a collection.
func (c *Client) Object(root, id, oid string) (Page, error) {
	return c.page(root+"collections/"+url.PathEscape(id)+"/objects/"+url.PathEscape(oid)+"/", nil)
}

func (c *Client) page(u string, q url.Values) (Page, error) {
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var p Page
	h, err := c.Get(u, &p)
	if err != nil {
		return p, err
	}
	for _, raw := range p.RawObjs {
		var o Object
		if err := json.Unmarshal(raw, &o); err != nil {
			return p, fmt.Errorf("GET %s: object: %w", u, err)
		}
		o.Raw = raw
		p.Objects = append(p.Objects, o)
	}
	if p.More && p.Next == "" {
		return p, fmt.Errorf("GET %s: more is true but there is no next", u)
	}
	if len(p.Objects) > 0 {
		// Section 3.4.2: both headers on a page of objects.
		for _, hd := range []struct {
			name string
			to   *time.Time
		}{{"X-TAXII-Date-Added-First", &p.AddedFirst}, {"X-TAXII-Date-Added-Last", &p.AddedLast}} {
			t, err := time.Parse(time.RFC3339Nano, h.Get(hd.name))
			if err != nil {
				return p, fmt.Errorf("GET %s: %s %q: %v", u, hd.name, h.Get(hd.name), err)
			}
			*hd.to = t
		}
	}
	return p, nil
}

// AllObjects follows next from the first page of q to the last, as a
// consumer does, and returns the pages.
func (c *Client) AllObjects(root, id string, q url.Values) ([]Page, error) {
	q = cloneValues(q)
	var pages []Page
	for {
		p, err := c.ObjectsPage(root, id, q)
		if err != nil {
			return pages, err
		}
		pages = append(pages, p)
		if !p.More {
			return pages, nil
		}
		if len(pages) > 1000 {
			return pages, fmt.Errorf("more than 1000 pages: next never ends")
		}
		q.Set("next", p.Next)
	}
}

// Manifest gets one page of a collection's manifest.
func (c *Client) Manifest(root, id string, q url.Values) (Manifest, error) {
	u := root + "collections/" + url.PathEscape(id) + "/manifest/"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var m Manifest
	_, err := c.Get(u, &m)
	return m, err
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// IDs lists the ids of the objects of pages.
func IDs(pages ...Page) []string {
	var out []string
	for _, p := range pages {
		for _, o := range p.Objects {
			out = append(out, o.ID)
		}
	}
	return out
}
