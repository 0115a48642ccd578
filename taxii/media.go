package taxii

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The media types of TAXII 2.1 (section 1.6.8).
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// acceptable reports whether an Accept header lets us answer with
// MediaTAXII (section 1.6.8.1: the server answers 406 otherwise). No
// header, */*, application/* and application/taxii+json with no version
// or version 2.1 do, unless given q=0.
func acceptable(header string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	for _, r := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(r))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
				continue
			}
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

// errorMessage is the error message resource (section 3.6.1).
type errorMessage struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status,omitempty"`
}

// writeError answers status with a TAXII error message.
func writeError(w http.ResponseWriter, status int, title, description string) {
	writeJSON(w, status, errorMessage{Title: title, Description: description, HTTPStatus: strconv.Itoa(status)})
}

// writeJSON answers status with v as MediaTAXII.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are encoded here.
		http.Error(w, "cannot encode the answer", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", MediaTAXII)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
