package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts API calls and their latency by endpoint and result code.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	mu     sync.RWMutex
	series map[metricKey]series
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

type metricKey struct {
	endpoint string
	code     int
}

// NewMetrics registers the API metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atrium_api_requests_total",
			Help: "ClearML API calls by endpoint and result code.",
		}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atrium_api_request_duration_seconds",
			Help:    "ClearML API call latency by endpoint and result code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"endpoint", "code"}),
		series: map[metricKey]series{},
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// observe records one call. Unknown endpoint names are counted as "unknown" so a scanner
// cannot grow the label set without bound.
func (m *Metrics) observe(endpoint string, known bool, code int, d time.Duration) {
	if m == nil {
		return
	}
	if !known {
		endpoint = "unknown"
	}
	k := metricKey{endpoint, code}
	m.mu.RLock()
	sr, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		c := strconv.Itoa(code)
		sr = series{m.requests.WithLabelValues(endpoint, c), m.latency.WithLabelValues(endpoint, c)}
		m.mu.Lock()
		m.series[k] = sr
		m.mu.Unlock()
	}
	sr.count.Inc()
	sr.latency.Observe(d.Seconds())
}
