package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"atrium/internal/apperr"
)

// Time renders as ClearML does: ISO-8601 with microseconds and a UTC offset.
type Time time.Time

// MarshalJSON writes the time, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format("2006-01-02T15:04:05.000000+00:00") + `"`), nil
}

// timePtr returns nil for the zero time so omitempty drops it.
func timePtr(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	v := Time(t)
	return &v
}

// status maps an error to ClearML's result code, subcode and message.
func status(err error, requestID string) (code, sub int, msg string) {
	e := apperr.As(err)
	if e == nil {
		return 500, 0, "Internal server error (request id " + requestID + ")"
	}
	if e.Code != 0 {
		return e.Code, e.Subcode, e.Msg
	}
	switch e.Kind {
	case apperr.Invalid:
		return 400, 12, e.Msg
	case apperr.NotFound, apperr.Conflict:
		return 400, 0, e.Msg
	case apperr.Unauthenticated:
		return 401, 20, e.Msg
	case apperr.Forbidden:
		return 403, 21, e.Msg
	case apperr.TooLarge:
		return 413, 0, e.Msg
	}
	return 500, 0, "Internal server error (request id " + requestID + ")"
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// respond writes the envelope, records metrics and logs failures once.
func (a *API) respond(w http.ResponseWriter, r *http.Request, c *Call, data any, err error,
	start time.Time) {
	code, sub, msg := 200, 0, "OK"
	if err != nil {
		code, sub, msg = status(err, c.ID)
		data = nil
	}
	var payload []byte
	if raw, ok := data.(json.RawMessage); ok {
		payload, data = raw, nil // built by the handler from trusted encodings
	}
	if data != nil {
		var merr error
		if payload, merr = json.Marshal(data); merr != nil {
			err, code, sub = merr, 500, 0
			msg = "Internal server error (request id " + c.ID + ")"
			payload = nil
		}
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	writeEnvelope(buf, c, code, sub, msg, payload)

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Server", "clearml")
	writeBody(w, r, buf.Bytes(), code)

	elapsed := time.Since(start)
	a.metrics.observe(c.Endpoint, a.endpoints[c.Endpoint] != nil, code, elapsed)
	a.logCall(c, code, sub, msg, err, elapsed)
}

func writeEnvelope(buf *bytes.Buffer, c *Call, code, sub int, msg string, payload []byte) {
	buf.WriteString(`{"meta":{"id":"`)
	buf.WriteString(c.ID)
	buf.WriteString(`","trx":`)
	writeString(buf, c.Trx)
	buf.WriteString(`,"endpoint":{"name":`)
	writeString(buf, c.Endpoint)
	buf.WriteString(`,"requested_version":`)
	writeString(buf, c.Requested)
	buf.WriteString(`,"actual_version":"1.0"},"result_code":`)
	buf.WriteString(strconv.Itoa(code))
	buf.WriteString(`,"result_subcode":`)
	buf.WriteString(strconv.Itoa(sub))
	buf.WriteString(`,"result_msg":`)
	writeString(buf, msg)
	buf.WriteString(`,"error_stack":null,"error_data":{}},"data":`)
	if payload == nil {
		buf.WriteString("{}")
	} else {
		buf.Write(payload)
	}
	buf.WriteByte('}')
}

func writeString(buf *bytes.Buffer, s string) {
	if isPlain(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// isPlain reports whether s needs no JSON escaping.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// gzipMin is the size under which compressing costs more than it saves.
const gzipMin = 1400

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

func writeBody(w http.ResponseWriter, r *http.Request, body []byte, code int) {
	h := w.Header()
	if len(body) >= gzipMin && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		w.WriteHeader(code)
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		gz.Write(body)
		gz.Close()
		gzipPool.Put(gz)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

func (a *API) logCall(c *Call, code, sub int, msg string, err error, elapsed time.Duration) {
	level := slog.LevelDebug
	if code >= 500 {
		level = slog.LevelError
	}
	if !a.log.Enabled(c.R.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", c.ID),
		slog.String("endpoint", c.Endpoint),
		slog.String("method", c.R.Method),
		slog.Int("status", code),
		slog.Int("subcode", sub),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("address", c.Address),
	}
	if c.Authed {
		attrs = append(attrs, slog.String("user_id", c.Principal.UserID),
			slog.String("workspace_id", c.Principal.WorkspaceID))
	}
	if err != nil {
		attrs = append(attrs, slog.String("result_msg", msg))
		if code >= 500 {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
	}
	a.log.LogAttrs(c.R.Context(), level, "api call", attrs...)
}
