package main

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/hospital-league/leaguemail/triage"
)

// unsubscribePattern is where the one-click links of area alerts are
// served (config.UnsubscribeURL names it outside).
const unsubscribePattern = "/unsubscribe/{token}"

// unsubscribe serves the one-click link of area alerts. RFC 8058 section
// 3.2: the mail client POSTs "List-Unsubscribe=One-Click" to the link, and
// that alone unsubscribes; a GET (a person clicking, or a mail scanner
// following every link of a mail) only shows a button that POSTs, so that
// no link checker takes a hospital off the alerts.
func (g *gateway) unsubscribe(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		unsubPage.Execute(w, map[string]any{"Form": true})
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	c, err := g.triage.Unsubscribe(r.Context(), tok, "one-click link")
	if errors.Is(err, triage.ErrBadToken) {
		w.WriteHeader(http.StatusNotFound)
		unsubPage.Execute(w, map[string]any{"Bad": true})
		return
	}
	if err != nil {
		g.log.ErrorContext(r.Context(), "unsubscribe", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		unsubPage.Execute(w, map[string]any{"Later": true})
		return
	}
	unsubPage.Execute(w, map[string]any{"Done": true, "Email": c.Email})
}

var unsubPage = template.Must(template.New("unsubscribe").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Area alerts</title></head>
<body style="font-family: sans-serif; line-height: 1.4; max-width: 40em; margin: 2em auto">
{{if .Form}}<p>Stop receiving the league's area alerts at this address?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>
{{else if .Done}}<p>{{.Email}} receives no more area alerts. To come back, send a mail to the league's subscribe address named in the confirmation mail.</p>
{{else if .Bad}}<p>This unsubscribe link is not valid. Reply to any alert to reach the league.</p>
{{else}}<p>Something failed on our side; please try again in a few minutes.</p>{{end}}
</body></html>
`))
