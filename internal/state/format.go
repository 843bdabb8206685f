package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/check-arp/check_arp/internal/mac"
	"github.com/check-arp/check_arp/internal/ownership"
)

// FormatVersion is the version of the state file this code writes and
// reads. A file of a newer version is reset, not guessed at.
const FormatVersion = 1

// MaxFileSize bounds a state file that is read. A full history
// (ownership.MaxChanges changes) takes about 17 KiB.
const MaxFileSize = 64 << 10

// file is the state file as JSON: one object, indented, with times in UTC
// (RFC 3339) and MACs as colon-separated hex, so that an operator can read
// it and delete it safely.
type file struct {
	Version       int    `json:"version"`
	Family        string `json:"family"`
	Target        string `json:"target"`
	Interface     string `json:"interface"`
	Owner         string `json:"owner,omitempty"`
	Since         string `json:"since,omitempty"`
	SinceObserved bool   `json:"since_observed,omitempty"`
	LastSeen      string `json:"last_seen,omitempty"`
	LastRun       string `json:"last_run,omitempty"`
	LastOutcome   string `json:"last_outcome,omitempty"`
	OwnerChanges  uint64 `json:"owner_changes"`
	// Changes are "TIME FROM -> TO", one string each: readable as a
	// table, and several times cheaper to decode than objects.
	Changes []string `json:"changes,omitempty"`
}

// encode renders rec for key as the file's bytes: JSON that decodes into
// file, indented, one change per line so that the history reads as a
// table. It is written by hand because encoding/json's reflection made
// encoding a full history cost more CPU than the rest of the update.
func encode(key Key, rec ownership.Record) ([]byte, error) {
	b := make([]byte, 0, 512+len(rec.Changes)*110)
	b = append(b, "{\n  \"version\": "...)
	b = strconv.AppendInt(b, FormatVersion, 10)
	b = appendField(b, "family", key.Family())
	b = appendField(b, "target", key.Target.String())
	b = appendField(b, "interface", key.Interface)
	if !rec.Owner.IsZero() {
		b = appendField(b, "owner", rec.Owner.String())
		b = appendField(b, "since", formatTime(rec.Since))
		if rec.SinceObserved {
			b = append(b, ",\n  \"since_observed\": true"...)
		}
		b = appendField(b, "last_seen", formatTime(rec.LastSeen))
	}
	b = appendField(b, "last_run", formatTime(rec.LastRun))
	b = appendField(b, "last_outcome", string(rec.LastOutcome))
	b = append(b, ",\n  \"owner_changes\": "...)
	b = strconv.AppendUint(b, rec.TotalChanges, 10)
	if len(rec.Changes) > 0 {
		b = append(b, ",\n  \"changes\": ["...)
		for i, c := range rec.Changes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    \""...)
			b = c.At.UTC().AppendFormat(b, time.RFC3339Nano)
			b = append(b, ' ')
			b = append(b, c.From.String()...)
			b = append(b, " -> "...)
			b = append(b, c.To.String()...)
			b = append(b, '"')
		}
		b = append(b, "\n  ]"...)
	}
	return append(b, "\n}\n"...), nil
}

// appendField appends ,\n  "name": "value", leaving out an empty value as
// omitempty would.
func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ",\n  \""...)
	b = append(b, name...)
	b = append(b, "\": "...)
	return appendString(b, value)
}

// appendString appends s as a JSON string. Only the interface name can
// hold bytes that need escaping; encoding/json escapes those exactly.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// decode reads a state file's bytes for key. A file that cannot be used
// yields the zero record and the reason, phrased to follow the file's name
// ("is truncated"); the caller starts memory over and says why.
func decode(key Key, data []byte) (ownership.Record, string) {
	if len(bytes.TrimSpace(data)) == 0 {
		return ownership.Record{}, "is empty"
	}
	if len(data) > MaxFileSize {
		return ownership.Record{}, fmt.Sprintf("is larger than %d KiB", MaxFileSize>>10)
	}
	// One strict pass. Only when it fails is the version read alone, so
	// that a newer format with other fields is reported as what it is.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		var v struct {
			Version int `json:"version"`
		}
		if json.Unmarshal(data, &v) == nil && v.Version > FormatVersion {
			return ownership.Record{}, newer(v.Version)
		}
		return ownership.Record{}, syntaxReason(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ownership.Record{}, "has data after the JSON object"
	}
	switch {
	case f.Version > FormatVersion:
		return ownership.Record{}, newer(f.Version)
	case f.Version < 1:
		return ownership.Record{}, fmt.Sprintf("has no valid format version (want %d)", FormatVersion)
	}
	if f.Family != key.Family() || f.Target != key.Target.String() || f.Interface != key.Interface {
		return ownership.Record{}, fmt.Sprintf("belongs to %s %s on %q, not to %s", f.Family, f.Target, f.Interface, key)
	}
	rec, err := f.record()
	if err != nil {
		return ownership.Record{}, "has an invalid value: " + err.Error()
	}
	return rec, ""
}

func newer(version int) string {
	return fmt.Sprintf("was written by a newer check_arp (format version %d; this one reads %d)", version, FormatVersion)
}

func syntaxReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		(errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input"):
		return "is truncated"
	case errors.As(err, &syn):
		return fmt.Sprintf("is not valid JSON (%s at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return "is not a JSON object"
	case errors.As(err, &typ) && typ.Field == "version":
		return fmt.Sprintf("has no valid format version (want %d)", FormatVersion)
	case errors.As(err, &typ):
		return fmt.Sprintf("has an invalid value: %s is not a %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// A field this version does not write: edited by hand.
		return "has an " + strings.TrimPrefix(err.Error(), "json: ")
	default:
		return fmt.Sprintf("cannot be read as a state file (%v)", err)
	}
}

// record checks every field, as a hand-edited file may hold anything, and
// converts f.
func (f file) record() (ownership.Record, error) {
	var rec ownership.Record
	var err error
	if f.Owner != "" {
		if rec.Owner, err = parseMAC("owner", f.Owner); err != nil {
			return rec, err
		}
		if rec.Since, err = parseTime("since", f.Since); err != nil {
			return rec, err
		}
		if rec.LastSeen, err = parseTime("last_seen", f.LastSeen); err != nil {
			return rec, err
		}
	} else if f.Since != "" || f.LastSeen != "" || f.SinceObserved {
		return rec, errors.New("since, since_observed and last_seen without an owner")
	}
	rec.SinceObserved = f.SinceObserved
	if rec.LastRun, err = parseTime("last_run", f.LastRun); err != nil {
		return rec, err
	}
	rec.LastOutcome = ownership.Outcome(f.LastOutcome)
	if !rec.LastOutcome.Valid() {
		return rec, fmt.Errorf("last_outcome %q is none of owner, no_reply, split_brain, flood", f.LastOutcome)
	}
	if len(f.Changes) > ownership.MaxChanges {
		return rec, fmt.Errorf("%d changes, more than the %d kept", len(f.Changes), ownership.MaxChanges)
	}
	if f.OwnerChanges < uint64(len(f.Changes)) {
		return rec, fmt.Errorf("owner_changes %d is less than the %d changes listed", f.OwnerChanges, len(f.Changes))
	}
	rec.TotalChanges = f.OwnerChanges
	if len(f.Changes) > 0 {
		rec.Changes = make([]ownership.Change, 0, len(f.Changes))
	}
	for i, fc := range f.Changes {
		var c ownership.Change
		where := "changes[" + strconv.Itoa(i) + "]"
		at, from, ok1 := strings.Cut(fc, " ")
		from, to, ok2 := strings.Cut(from, " -> ")
		if !ok1 || !ok2 {
			return rec, fmt.Errorf("%s %q is not \"TIME FROM -> TO\"", where, fc)
		}
		if c.At, err = parseTime(where, at); err != nil {
			return rec, err
		}
		if c.From, err = parseMAC(where, from); err != nil {
			return rec, err
		}
		if c.To, err = parseMAC(where, to); err != nil {
			return rec, err
		}
		if c.From == c.To {
			return rec, fmt.Errorf("%s: from and to are both %s", where, c.From)
		}
		rec.Changes = append(rec.Changes, c)
	}
	return rec, nil
}

func parseMAC(field, s string) (mac.Addr, error) {
	if a, ok := parseCanonicalMAC(s); ok {
		return a, nil
	}
	// A hand edit may use another notation; mac.Parse knows them all.
	a, err := mac.Parse(s)
	if err != nil {
		return a, fmt.Errorf("%s %q is not a MAC address", field, s)
	}
	if a.IsZero() {
		return a, fmt.Errorf("%s is the zero MAC", field)
	}
	return a, nil
}

// Times outside these years are typos, not history.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", field, s)
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, fmt.Errorf("%s %q is out of range", field, s)
	}
	return t.UTC(), nil
}

// Key names one remembered target: the address and the interface it is
// checked on (the family follows from the address).
type Key struct {
	Target    netip.Addr
	Interface string
}

// Family is "arp" for an IPv4 target and "ndp" for IPv6.
func (k Key) Family() string {
	if k.Target.Is4() {
		return "arp"
	}
	return "ndp"
}

// String names the key in messages: "198.51.100.10 on eth0".
func (k Key) String() string { return fmt.Sprintf("%s on %q", k.Target, k.Interface) }

// parseCanonicalMAC reads the form encode writes (02:00:00:00:00:0a)
// without allocating: a full history holds 512 MACs. It never accepts the
// zero MAC, which parseMAC must refuse with a reason.
func parseCanonicalMAC(s string) (mac.Addr, bool) {
	var a mac.Addr
	if len(s) != 17 {
		return a, false
	}
	for i := range a {
		if i > 0 && s[3*i-1] != ':' {
			return a, false
		}
		hi, ok1 := hexDigit(s[3*i])
		lo, ok2 := hexDigit(s[3*i+1])
		if !ok1 || !ok2 {
			return a, false
		}
		a[i] = hi<<4 | lo
	}
	return a, !a.IsZero()
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
