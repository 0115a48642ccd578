package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"
)

// clientOK checks the client's credentials, in an HTTP Basic header or in
// the form (RFC 6749 section 2.3.1); a public client (the device flow)
// may send its id alone.
func (s *Server) clientOK(r *http.Request, public bool) bool {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.ClientID {
		return false
	}
	if public && secret == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) == 1
}

// token is the token endpoint (RFC 6749 section 3.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies = append(s.bodies, r.PostForm.Encode())
	if s.garbage {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>502 upstream gone</html>"))
		return
	}
	if s.fail != "" {
		oauthError(w, http.StatusBadRequest, s.fail, "the test asked for this error")
		return
	}
	grantType := r.PostForm.Get("grant_type")
	if !s.clientOK(r, grantType == "urn:ietf:params:oauth:grant-type:device_code") {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	var user, rt string
	switch grantType {
	case "client_credentials":
		s.counts.ClientCredentials++
		user = s.user
	case "refresh_token":
		s.counts.Refreshes++
		old := r.PostForm.Get("refresh_token")
		u, ok := s.refresh[old]
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is unknown, expired or revoked")
			return
		}
		user, rt = u, old
		if s.rotate {
			// RFC 6749 section 6 lets the server revoke the old one.
			delete(s.refresh, old)
			rt = s.newRefresh(user)
		}
	case "authorization_code":
		s.counts.Codes++
		c, ok := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code")) // RFC 6749 section 4.1.2: used once
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
			return
		case r.PostForm.Get("redirect_uri") != c.redirect:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
			// RFC 7636 section 4.6.
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
			return
		}
		user, rt = c.user, s.newRefresh(c.user)
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.counts.DeviceTokens++
		d, ok := s.devices[r.PostForm.Get("device_code")]
		switch {
		case !ok:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
			return
		case !d.approved:
			d.polls++
			// RFC 8628 section 3.5.
			oauthError(w, http.StatusBadRequest, "authorization_pending", "the user has not signed in yet")
			return
		}
		delete(s.devices, r.PostForm.Get("device_code"))
		user, rt = d.user, s.newRefresh(d.user)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", grantType)
		return
	}
	at := "at-" + random(16)
	s.access[at] = grant{user: user, expires: time.Now().Add(s.lifetime)}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.lifetime.Seconds())}
	if rt != "" {
		resp["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) newRefresh(user string) string {
	rt := "rt-" + random(16)
	s.refresh[rt] = user
	s.issuedRefresh = append(s.issuedRefresh, rt)
	return rt
}

// deviceAuth is the device authorization endpoint (RFC 8628 section 3.1).
func (s *Server) deviceAuth(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !s.clientOK(r, true) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code := random(16)
	d := &device{code: code}
	s.devices[code] = d
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": code, "user_code": d.userCode(),
		"verification_uri": s.URL + "/activate", "expires_in": 600, "interval": 1,
	})
}

// introspect is RFC 7662's endpoint, which Dovecot's oauth2 passdb asks
// (introspection_mode = post) for every login.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Introspections++
	g, ok := s.access[r.PostForm.Get("token")]
	if !ok || g.revoked || time.Now().After(g.expires) {
		s.counts.Inactive++
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	s.counts.Active++
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "username": g.user, "exp": g.expires.Unix(), "token_type": "Bearer"})
}

// authorize is the authorization endpoint (RFC 6749 section 4.1.1), as a
// browser meets it: the user is taken to have signed in and consented
// at once, as the client_credentials user, and is sent back to the
// redirect URI with a code (or with access_denied when SetFail asks).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != s.ClientID || redirect.Hostname() != "127.0.0.1" {
		http.Error(w, "bad client or redirect_uri", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	back := url.Values{"state": {q.Get("state")}}
	switch {
	case s.fail != "":
		back.Set("error", s.fail)
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
		back.Set("error_description", "PKCE S256 is required")
	default:
		code := "code-" + random(12)
		s.codes[code] = authCode{user: s.user, redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}
