package web

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Cookie names.
const (
	sessionCookie = "steward_session"
	// preCookie carries the nonce behind the sign-in form's CSRF token,
	// before there is a session.
	preCookie = "steward_signin"
)

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 12 * time.Hour

// session is the signed content of the session cookie.
type session struct {
	Op    string `json:"op"`
	Gen   int64  `json:"gen"`
	Exp   int64  `json:"exp"`
	Nonce string `json:"n"` // random; the CSRF token is derived from it
}

// sessionKeys derives the keys of cookie signatures and CSRF tokens from
// the platform's signing key, so that neither can be confused with an
// approval link signature made with the same secret.
type sessionKeys struct {
	cookie []byte
	csrf   []byte
}

func deriveKeys(secret []byte) (sessionKeys, error) {
	if len(secret) < 16 {
		return sessionKeys{}, errors.New("web: the signing key is missing or shorter than 16 bytes")
	}
	c, err := hkdf.Key(sha256.New, secret, nil, "steward dashboard session cookie v1", 32)
	if err != nil {
		return sessionKeys{}, err
	}
	x, err := hkdf.Key(sha256.New, secret, nil, "steward dashboard csrf v1", 32)
	if err != nil {
		return sessionKeys{}, err
	}
	return sessionKeys{cookie: c, csrf: x}, nil
}

func mac(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

var b64 = base64.RawURLEncoding

// sign returns payload.signature for a cookie value.
func (k sessionKeys) sign(kind string, v any) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	p := b64.EncodeToString(body)
	return p + "." + b64.EncodeToString(mac(k.cookie, kind, p)), nil
}

// open verifies a signed value in constant time and decodes it.
func (k sessionKeys) open(kind, value string, v any) bool {
	p, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > 4096 {
		return false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(k.cookie, kind, p)) {
		return false
	}
	body, err := b64.DecodeString(p)
	return err == nil && json.Unmarshal(body, v) == nil
}

// csrfToken is the CSRF token bound to a nonce (a session's, or the
// sign-in form's).
func (k sessionKeys) csrfToken(nonce string) string {
	return b64.EncodeToString(mac(k.csrf, "csrf", nonce))
}

// checkCSRF compares a submitted token with the expected one in constant
// time.
func (k sessionKeys) checkCSRF(nonce, token string) bool {
	got, err := b64.DecodeString(token)
	return err == nil && nonce != "" && hmac.Equal(got, mac(k.csrf, "csrf", nonce))
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b64.EncodeToString(b)
}

// cookie renders a Set-Cookie value: HttpOnly, SameSite=Strict and
// Secure, unless insecure (plain http on a loopback address, see
// Config.InsecureLoopback).
func cookie(name, value, path string, maxAge int, insecure bool) string {
	c := &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: !insecure}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	return c.String()
}

// isLoopbackHost reports whether a Host header names this machine by a
// loopback address (127.0.0.0/8, [::1]) or localhost.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limiter slows down password guessing: after MaxFailures failed
// sign-ins for a name within Window, further attempts for that name are
// refused until the window has passed. It is per process.
type limiter struct {
	mu   sync.Mutex
	fail map[string][]time.Time
}

const (
	maxFailures   = 5
	failureWindow = 15 * time.Minute
)

func (l *limiter) blocked(name string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.prune(name, now)
	return len(recent) >= maxFailures
}

func (l *limiter) failed(name string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail == nil {
		l.fail = map[string][]time.Time{}
	}
	if len(l.fail) > 10000 { // bound the memory an attacker can make us keep
		l.fail = map[string][]time.Time{}
	}
	l.fail[name] = append(l.prune(name, now), now)
}

func (l *limiter) succeeded(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fail, name)
}

func (l *limiter) prune(name string, now time.Time) []time.Time {
	var keep []time.Time
	for _, t := range l.fail[name] {
		if now.Sub(t) < failureWindow {
			keep = append(keep, t)
		}
	}
	if l.fail != nil {
		l.fail[name] = keep
	}
	return keep
}

// String describes a session for logs.
func (s session) String() string { return fmt.Sprintf("session of %s until %d", s.Op, s.Exp) }
