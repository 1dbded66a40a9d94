package testkit

import (
	"net/http"
	"sync"
)

var bodies sync.Map

// BodyOf returns the body that Do read from resp.
func BodyOf(resp *http.Response) string {
	s, _ := bodies.Load(resp)
	str, _ := s.(string)
	return str
}
