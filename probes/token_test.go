package probes

import (
	"encoding/base64"
	"testing"
)

// jwt builds a compact JWT with the given payload and a dummy signature.
func jwt(payload string) []byte {
	enc := base64.RawURLEncoding
	return []byte(enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + enc.EncodeToString([]byte(payload)) + ".c2ln")
}

func TestParseJWTExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want Token
	}{
		{"bound token", jwt(`{"aud":["x"],"exp":1893456000,"iat":1,"sub":"system:serviceaccount:a:b"}`), Token{JWT: true, Expires: true, Exp: 1893456000}},
		{"legacy secret token", jwt(`{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/secret.name":"t"}`), Token{JWT: true}},
		{"trailing newline", append(jwt(`{"exp":5}`), '\n'), Token{JWT: true, Expires: true, Exp: 5}},
		{"exp not a number", jwt(`{"exp":"soon"}`), Token{}},
		{"exp negative", jwt(`{"exp":-1}`), Token{JWT: true}},
		{"not a JWT", []byte("hunter2"), Token{}},
		{"payload not base64", []byte("a.%%%.c"), Token{}},
		{"payload not JSON", []byte("a." + base64.RawURLEncoding.EncodeToString([]byte("x")) + ".c"), Token{}},
	} {
		if got := parseJWTExpiry(tc.in); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
