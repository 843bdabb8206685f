// Package copyright writes the Debian copyright file (DEP-5) of the
// check_arp package. The binary is static: it carries the Go standard
// library and every module it imports, and their licences (MIT, BSD,
// Apache-2.0) require their notices to travel with it. The file is built
// from what `go list -deps` says the binary links and from the licence
// files the modules ship, so it names exactly what is inside.
package copyright

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Module is a Go module linked into the binary.
type Module struct {
	Path    string
	Version string
	// Dir holds the module's files: the module cache, or GOROOT for the
	// standard library (Path "std").
	Dir string
}

// Licence names a licence in both vocabularies the packages need: SPDX for
// the rpm's License tag, Debian's short name for the copyright file.
type Licence struct {
	SPDX   string
	Debian string
}

var (
	mit        = Licence{SPDX: "MIT", Debian: "Expat"}
	bsd2       = Licence{SPDX: "BSD-2-Clause", Debian: "BSD-2-clause"}
	bsd3       = Licence{SPDX: "BSD-3-Clause", Debian: "BSD-3-clause"}
	apache2    = Licence{SPDX: "Apache-2.0", Debian: "Apache-2.0"}
	licenceRE  = regexp.MustCompile(`(?i)^(licen[cs]e|copying)([.-](md|txt|mit|bsd))?$`)
	noticeRE   = regexp.MustCompile(`(?i)^notice([.](md|txt))?$`)
	holderRE   = regexp.MustCompile(`(?i)^[#*\s]*copyright\s+(?:\(c\)\s*|©\s*)?((?:19|20)\d\d.*)$`)
	spaceRunRE = regexp.MustCompile(`\s+`)
)

// Identify names the licence of a licence file's text. It knows the
// licences check_arp's dependencies use; any other text is an error, so
// that a new kind of licence is read by a person before it is shipped.
func Identify(text string) (Licence, error) {
	t := spaceRunRE.ReplaceAllString(text, " ")
	switch {
	case strings.Contains(t, "Apache License") && strings.Contains(t, "Version 2.0"):
		return apache2, nil
	case strings.Contains(t, "Permission is hereby granted, free of charge, to any person obtaining a copy"):
		return mit, nil
	case strings.Contains(t, "Redistribution and use in source and binary forms"):
		if strings.Contains(t, "Neither the name") || strings.Contains(t, "names of its contributors may be used") {
			return bsd3, nil
		}
		return bsd2, nil
	}
	return Licence{}, errors.New("unrecognised licence text (not MIT, BSD-2/3-Clause or Apache-2.0)")
}

// Holders returns the copyright holders a licence text names, from its
// "Copyright YEAR ..." lines.
func Holders(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if m := holderRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			out = append(out, strings.TrimSpace(m[1]))
		}
	}
	return out
}

// Modules lists the modules linked into pkg when it is built as the
// packages build it (static, linux), for each of archs, and the standard
// library as a module "std" in GOROOT.
func Modules(ctx context.Context, goCmd, dir, pkg string, archs []string) ([]Module, error) {
	seen := map[string]Module{}
	for _, arch := range archs {
		cmd := exec.CommandContext(ctx, goCmd, "list", "-deps", "-json=ImportPath,Standard,Module", pkg)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list -deps %s for linux/%s: %w: %s", pkg, arch, err, strings.TrimSpace(stderr.String()))
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var p struct {
				Standard bool
				Module   *struct {
					Path, Version, Dir string
					Main               bool
				}
			}
			if err := dec.Decode(&p); err != nil {
				return nil, fmt.Errorf("reading go list output: %w", err)
			}
			if p.Standard {
				seen["std"] = Module{Path: "std"}
				continue
			}
			if p.Module == nil || p.Module.Main {
				continue
			}
			seen[p.Module.Path] = Module{Path: p.Module.Path, Version: p.Module.Version, Dir: p.Module.Dir}
		}
	}
	if m, ok := seen["std"]; ok {
		cmd := exec.CommandContext(ctx, goCmd, "env", "GOROOT")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go env GOROOT: %w", err)
		}
		m.Dir = strings.TrimSpace(string(out))
		seen["std"] = m
	}
	mods := make([]Module, 0, len(seen))
	for _, m := range seen {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, nil
}

// licenceFiles reads a module's licence and notice files, sorted by name.
func licenceFiles(dir string) (licences, notices []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading module directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		isLicence, isNotice := licenceRE.MatchString(e.Name()), noticeRE.MatchString(e.Name())
		if !isLicence && !isNotice {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("reading licence file: %w", err)
		}
		if isLicence {
			licences = append(licences, string(b))
		} else {
			notices = append(notices, string(b))
		}
	}
	if len(licences) == 0 {
		return nil, nil, fmt.Errorf("no LICENSE or COPYING file in %s", dir)
	}
	return licences, notices, nil
}

// group is one Files paragraph: the modules that ship the same licence
// text.
type group struct {
	text    string
	notice  string
	licence Licence
	holders []string
	modules []Module
}

// File is one of the copyright files the packages ship, in packaging/.
type File struct {
	Name string
	// Debian refers to the licences in /usr/share/common-licenses
	// instead of writing them out (see Write).
	Debian bool
}

// Files are the copyright files the packages ship: Debian's copyright,
// and copyright.full, every licence text written out, the rpm's %license.
// gencopyright writes them and a test compares them, from this one list.
func Files() []File {
	return []File{{Name: "copyright", Debian: true}, {Name: "copyright.full", Debian: false}}
}

// Write writes the copyright file for check_arp, whose own licence is
// selfLicence, linking mods, and returns the SPDX expression of the whole
// binary for the rpm's License tag. With debian set, licences that Debian
// ships in /usr/share/common-licenses (Apache-2.0) are referred to there,
// as Debian policy 12.5 asks; without, every text is written out.
func Write(w io.Writer, selfLicence string, mods []Module, debian bool) (string, error) {
	self, err := Identify(selfLicence)
	if err != nil {
		return "", fmt.Errorf("check_arp's LICENSE: %w", err)
	}
	spdx := map[string]bool{self.SPDX: true}
	groups := map[string]*group{}
	for _, m := range mods {
		dir := m.Dir
		if m.Path != "std" && dir == "" {
			return "", fmt.Errorf("module %s %s is not in the module cache (go mod download)", m.Path, m.Version)
		}
		texts, notices, err := licenceFiles(dir)
		if err != nil {
			return "", fmt.Errorf("module %s: %w", m.Path, err)
		}
		text := strings.Join(texts, "\n")
		lic, err := Identify(text)
		if err != nil {
			return "", fmt.Errorf("module %s %s: %w", m.Path, m.Version, err)
		}
		spdx[lic.SPDX] = true
		key := text + "\x00" + strings.Join(notices, "\n")
		g, ok := groups[key]
		if !ok {
			g = &group{text: text, notice: strings.Join(notices, "\n"), licence: lic, holders: Holders(text)}
			groups[key] = g
		}
		g.modules = append(g.modules, m)
	}
	ordered := make([]*group, 0, len(groups))
	for _, g := range groups {
		ordered = append(ordered, g)
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].modules[0].Path < ordered[j].modules[0].Path })

	var b strings.Builder
	b.WriteString("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
	b.WriteString("Upstream-Name: check_arp\n")
	b.WriteString("Source: https://github.com/check-arp/check_arp\n")
	b.WriteString("Comment: check_arp is a static Go binary. Besides its own code it contains\n")
	b.WriteString(" the Go standard library and the Go modules named below, each under its\n")
	b.WriteString(" own licence; Files names them by Go import path. Generated by\n")
	b.WriteString(" `make copyright` from `go list -deps` and the modules' licence files.\n")
	b.WriteString("\nFiles: *\n")
	writeField(&b, "Copyright", Holders(selfLicence))
	writeLicence(&b, self, selfLicence, debian)
	for _, g := range ordered {
		var files, names []string
		for _, m := range g.modules {
			if m.Path == "std" {
				files = append(files, "go/*")
				names = append(names, "the Go standard library and runtime")
				continue
			}
			files = append(files, m.Path+"/*")
			names = append(names, m.Path+" "+m.Version)
		}
		b.WriteString("\nFiles: " + strings.Join(files, " ") + "\n")
		holders := g.holders
		if len(holders) == 0 {
			holders = []string{"the authors of " + strings.Join(files, ", ")}
		}
		writeField(&b, "Copyright", holders)
		writeLicence(&b, g.licence, g.text, debian)
		comment := "Go module"
		if len(names) > 1 {
			comment += "s"
		}
		if g.modules[0].Path == "std" && len(names) == 1 {
			comment = "Part of Go"
		}
		writeText(&b, "Comment: "+comment+": "+strings.Join(names, ", ")+".", g.notice)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return "", fmt.Errorf("writing copyright file: %w", err)
	}
	ids := make([]string, 0, len(spdx))
	for id := range spdx {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return strings.Join(ids, " AND "), nil
}

func writeField(b *strings.Builder, name string, values []string) {
	// The first value follows the name, the others are continuation lines:
	// either way a space, the value, a newline.
	b.WriteString(name + ":")
	for _, v := range values {
		b.WriteString(" " + v + "\n")
	}
}

// commonLicences are the licences of Debian's /usr/share/common-licenses
// that check_arp's modules use.
var commonLicences = map[string]string{apache2.SPDX: "Apache-2.0"}

// writeLicence writes a License field: the short name, then the full text
// (or, for Debian, the common-licenses file) as continuation lines.
func writeLicence(b *strings.Builder, l Licence, text string, debian bool) {
	if f, ok := commonLicences[l.SPDX]; ok && debian {
		text = "On Debian systems the full text of this licence is in\n/usr/share/common-licenses/" + f + "."
	}
	writeText(b, "License: "+l.Debian, text)
}

// writeText writes first as a field line and text as its continuation
// lines (DEP-5: a leading space, an empty line as " .").
func writeText(b *strings.Builder, first, text string) {
	b.WriteString(first + "\n")
	text = strings.Trim(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(strings.ReplaceAll(line, "\t", "        "), " ")
		if line == "" {
			line = "."
		}
		b.WriteString(" " + line + "\n")
	}
}

// Binary is the package of the packaged binary, and Archs the
// architectures it is packaged for; the copyright file covers what any of
// them links.
const Binary = "./cmd/check_arp"

// Archs are the GOARCH values the packages are built for.
var Archs = []string{"amd64", "arm64"}
