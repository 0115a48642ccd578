// Package metricreg registers Prometheus collectors so that building a
// component twice on one registry (two mailboxes, a restart in tests)
// shares its metrics instead of panicking.
package metricreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns it, or returns the collector
// already registered under the same description.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	if err != nil {
		// Only a programming error gets here (a clashing metric name).
		panic("registering metrics: " + err.Error())
	}
	return c
}
