package output

import (
	"encoding/json"

	"github.com/check-arp/check_arp/internal/verdict"
)

// JSONSchema is the version of the JSON document. It grows when a field
// changes meaning or disappears; new fields do not change it.
const JSONSchema = 1

// jsonDoc is the JSON document: the overall state and one entry per
// address. README.md documents every field.
type jsonDoc struct {
	Schema    int           `json:"schema"`
	State     string        `json:"state"`
	ExitCode  int           `json:"exit_code"`
	Error     string        `json:"error,omitempty"`
	Addresses []jsonAddress `json:"addresses"`
}

type jsonAddress struct {
	Address   string        `json:"address"`
	Label     string        `json:"label,omitempty"`
	Family    string        `json:"family"`
	Protocol  string        `json:"protocol"`
	Interface string        `json:"interface,omitempty"`
	State     string        `json:"state"`
	Summary   string        `json:"summary"`
	Error     string        `json:"error,omitempty"`
	Findings  []jsonFinding `json:"findings"`
	// The facts; absent for an address that reached no verdict.
	Owner          *jsonMAC        `json:"owner"`
	MACs           []jsonAnswerer  `json:"macs"`
	Announcers     []jsonAnnouncer `json:"announcers"`
	Unexpected     []jsonMAC       `json:"unexpected_macs"`
	Allowed        []jsonMAC       `json:"allowed_macs"`
	Requests       *jsonRequests   `json:"requests,omitempty"`
	RTT            *jsonRTT        `json:"rtt_seconds"`
	MultiMACProbes int             `json:"multi_mac_probes"`
	MACChanges     int             `json:"mac_changes"`
	Announcements  int             `json:"gratuitous"`
	Spoofed        int             `json:"spoofed"`
	Unicast        *int            `json:"unicast"`
	Notes          []string        `json:"notes,omitempty"`
	Unrecorded     int             `json:"unrecorded"`
	Source         string          `json:"source,omitempty"`
	LocalMAC       string          `json:"local_mac,omitempty"`
	Elapsed        float64         `json:"elapsed_seconds"`
	Timeline       []jsonProbe     `json:"timeline,omitempty"`
}

type jsonFinding struct {
	State string `json:"state"`
	Rule  string `json:"rule"`
	Text  string `json:"text"`
}

type jsonMAC struct {
	MAC     string `json:"mac"`
	Label   string `json:"label,omitempty"`
	Allowed bool   `json:"allowed"`
}

type jsonAnswerer struct {
	jsonMAC
	Replies int     `json:"replies"`
	Probes  []int   `json:"probes"`
	MinRTT  float64 `json:"rtt_min_seconds"`
	MaxRTT  float64 `json:"rtt_max_seconds"`
}

type jsonAnnouncer struct {
	jsonMAC
	Count int     `json:"count"`
	First float64 `json:"first_seconds"`
}

type jsonRequests struct {
	Sent        int     `json:"sent"`
	Answered    int     `json:"answered"`
	LossPercent float64 `json:"loss_percent"`
}

type jsonRTT struct {
	Avg float64 `json:"avg"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

type jsonProbe struct {
	At      float64      `json:"at_seconds"`
	Replies int          `json:"replies"`
	Answers []jsonAnswer `json:"answers"`
}

type jsonAnswer struct {
	jsonMAC
	RTT     float64 `json:"rtt_seconds"`
	Replies int     `json:"replies"`
}

// JSON renders verdicts as one JSON document: the worst state and one
// object per address, with its findings and facts; -v adds the
// per-request timeline. Times are in seconds, request numbers 1-based.
func JSON(results []verdict.Result, verbosity int) ([]byte, error) {
	return jsonEntries(resultEntries(results), verbosity)
}

// jsonEntries is JSON of entries, which may carry labels and failures.
func jsonEntries(entries []Entry, verbosity int) ([]byte, error) {
	doc := jsonDoc{Schema: JSONSchema, Addresses: make([]jsonAddress, 0, len(entries))}
	worst := Worst(entries)
	for _, e := range entries {
		var a jsonAddress
		if e.Failed() {
			a = jsonFailedAddress(e.Failure, UnknownLine(verdict.ProtocolOf(e.Failure.Target), e.Failure.Err))
		} else {
			a = jsonAddressOf(e.Result, verbosity)
			a.Summary = oneLine(summaryNamed(e.Result, e.Label))
		}
		a.Label = e.Label
		doc.Addresses = append(doc.Addresses, a)
	}
	doc.State, doc.ExitCode = worst.String(), int(worst)
	return marshal(doc)
}

func marshal(doc jsonDoc) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func jsonAddressOf(r verdict.Result, verbosity int) jsonAddress {
	f := &r.Facts
	a := jsonAddress{
		Address: f.Target.String(), Family: family(f.Target.Is6()), Protocol: f.Protocol,
		Interface: f.Interface, State: r.State.String(), Summary: oneLine(Summary(r)),
		Findings:       make([]jsonFinding, len(r.Findings)),
		MACs:           make([]jsonAnswerer, len(f.Answerers)),
		Announcers:     make([]jsonAnnouncer, len(f.Announcers)),
		Unexpected:     macs(f.Unexpected),
		Allowed:        macs(f.Allowed),
		Requests:       &jsonRequests{Sent: f.Sent, Answered: f.Received, LossPercent: f.LossPercent},
		MultiMACProbes: f.MultiMACProbes, MACChanges: f.MACChanges, Announcements: f.Announcements,
		Spoofed: f.Spoofed, Unrecorded: f.Unrecorded,
		Source: f.Source.String(), LocalMAC: f.LocalMAC.String(), Elapsed: sec(f.Elapsed),
	}
	for i, fd := range r.Findings {
		a.Findings[i] = jsonFinding{State: fd.State.String(), Rule: string(fd.Rule), Text: fd.Text}
	}
	a.Notes = r.Notes
	// The unicast request: 1 answered, 0 not, null when none was sent or
	// the answer may have been another process's.
	switch f.Unicast {
	case verdict.UnicastAnswered:
		a.Unicast = new(int)
		*a.Unicast = 1
	case verdict.UnicastIgnored:
		a.Unicast = new(int)
	}
	if f.HasOwner {
		o := jsonMACOf(f.Owner)
		a.Owner = &o
	}
	for i, an := range f.Answerers {
		probes := make([]int, len(an.Probes))
		for j, p := range an.Probes {
			probes[j] = p + 1
		}
		a.MACs[i] = jsonAnswerer{jsonMACOf(an.MAC), an.Replies, probes, sec(an.MinRTT), sec(an.MaxRTT)}
	}
	for i, an := range f.Announcers {
		a.Announcers[i] = jsonAnnouncer{jsonMACOf(an.MAC), an.Count, sec(an.First)}
	}
	if f.Received > 0 {
		a.RTT = &jsonRTT{Avg: sec(f.RTA), Min: sec(f.RTMin), Max: sec(f.RTMax)}
	}
	if verbosity >= 1 {
		a.Timeline = make([]jsonProbe, len(f.Probes))
		for i, p := range f.Probes {
			answers := make([]jsonAnswer, len(p.Answers))
			for j, an := range p.Answers {
				answers[j] = jsonAnswer{jsonMACOf(an.MAC), sec(an.RTT), an.Replies}
			}
			a.Timeline[i] = jsonProbe{At: sec(p.At), Replies: p.Replies, Answers: answers}
		}
	}
	return a
}

// jsonFailure is the document of a check without verdict: UNKNOWN with
// the reason, for the address when it is known, else with no address.
func jsonFailure(fail Failure, line string) []byte {
	doc := jsonDoc{Schema: JSONSchema, State: verdict.Unknown.String(), ExitCode: int(verdict.Unknown), Addresses: []jsonAddress{}}
	if fail.Target.IsValid() {
		doc.Addresses = append(doc.Addresses, jsonFailedAddress(fail, line))
	} else {
		doc.Error = fail.Err.Error()
	}
	b, err := marshal(doc)
	if err != nil { // plain strings and numbers always marshal
		panic(err)
	}
	return b
}

// jsonFailedAddress is the object of an address without verdict.
func jsonFailedAddress(fail Failure, line string) jsonAddress {
	return jsonAddress{
		Address: fail.Target.String(), Family: family(fail.Target.Is6()), Protocol: verdict.ProtocolOf(fail.Target),
		Interface: fail.Interface, State: verdict.Unknown.String(), Summary: line, Error: fail.Err.Error(),
		Findings: []jsonFinding{}, MACs: []jsonAnswerer{}, Announcers: []jsonAnnouncer{},
		Unexpected: []jsonMAC{}, Allowed: []jsonMAC{},
	}
}

func jsonMACOf(m verdict.MAC) jsonMAC {
	return jsonMAC{MAC: m.Addr.String(), Label: m.Label, Allowed: m.Allowed}
}

func macs(ms []verdict.MAC) []jsonMAC {
	out := make([]jsonMAC, len(ms))
	for i, m := range ms {
		out[i] = jsonMACOf(m)
	}
	return out
}

// family names an address family as the JSON and metric labels do.
func family(ipv6 bool) string {
	if ipv6 {
		return "ipv6"
	}
	return "ipv4"
}
