package probes

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
)

// ErrNotToken means a token path is not a regular file of token size.
var ErrNotToken = errors.New("not a token file")

// Token is what rtaudit learns of a service-account token file: whether
// it holds a JWT and that JWT's expiry claim. Nothing else of the token is
// kept, and the token itself never leaves the reader.
type Token struct {
	// JWT: the file holds three dot-separated base64url parts whose middle
	// one decodes to a JSON object.
	JWT bool
	// Expires: the payload has a numeric exp claim; Exp is it (seconds
	// since the epoch). A JWT without one never expires: a legacy
	// service-account token secret.
	Expires bool
	Exp     int64
}

// parseJWTExpiry reads the exp claim of a compact JWT. Only the payload is
// decoded (into a buffer zeroed before return), and only exp is decoded
// from it.
func parseJWTExpiry(b []byte) Token {
	b = bytes.TrimSpace(b)
	parts := bytes.Split(b, []byte{'.'})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return Token{}
	}
	enc := base64.RawURLEncoding
	payload := make([]byte, enc.DecodedLen(len(parts[1])))
	defer clear(payload)
	n, err := enc.Decode(payload, bytes.TrimRight(parts[1], "="))
	if err != nil {
		return Token{}
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	d := json.NewDecoder(bytes.NewReader(payload[:n]))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		return Token{}
	}
	t := Token{JWT: true}
	if claims.Exp != nil {
		if f, err := claims.Exp.Float64(); err == nil && f > 0 && f < math.MaxInt64 {
			t.Expires, t.Exp = true, int64(f)
		}
	}
	return t
}
