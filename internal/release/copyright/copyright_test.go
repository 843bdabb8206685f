package copyright

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const root = "../../.."

func TestIdentify(t *testing.T) {
	for name, want := range map[string]string{
		"LICENSE":                         "MIT",
		"COPYING of kong":                 "MIT",
		"Go's LICENSE":                    "BSD-3-Clause",
		"BSD without the name clause":     "BSD-2-Clause",
		"Apache-2.0 of vishvananda/netns": "Apache-2.0",
	} {
		var text string
		switch name {
		case "LICENSE":
			b, err := os.ReadFile(filepath.Join(root, "LICENSE"))
			if err != nil {
				t.Fatal(err)
			}
			text = string(b)
		case "COPYING of kong":
			text = "Copyright (C) 2018 Alec Thomas\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of\nthis software"
		case "Go's LICENSE":
			text = "Copyright 2009 The Go Authors.\n\nRedistribution and use in source and binary forms, with or without\nmodification ...\n   * Neither the name of Google LLC nor the names of its\ncontributors"
		case "BSD without the name clause":
			text = "Copyright (c) 2019 X\nRedistribution and use in source and binary forms, with or without modification, are permitted"
		case "Apache-2.0 of vishvananda/netns":
			text = "                                 Apache License\n                           Version 2.0, January 2004\n"
		}
		got, err := Identify(text)
		if err != nil || got.SPDX != want {
			t.Errorf("%s: Identify = %v, %v; want %s", name, got, err, want)
		}
	}
	if l, err := Identify("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007"); err == nil {
		t.Errorf("a GPL text was identified as %v; an unknown licence must stop the build", l)
	}
}

func TestHolders(t *testing.T) {
	text := "# MIT License\n\nCopyright (C) 2017-2022 Matt Layher\n\n   Copyright 2014 Docker, Inc.\nthe above copyright notice\n   Copyright [yyyy] [name of copyright owner]\n"
	got := strings.Join(Holders(text), "|")
	if want := "2017-2022 Matt Layher|2014 Docker, Inc."; got != want {
		t.Errorf("Holders = %q, want %q", got, want)
	}
}

// TestCommittedCopyrightIsCurrent fails when the modules linked into
// check_arp (or their licence files) change and packaging/copyright or the
// rpm's License tag in packaging/nfpm.yaml were not regenerated with
// `make copyright`.
func TestCommittedCopyrightIsCurrent(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mods, err := Modules(ctx, goCmd, root, Binary, Archs)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	var spdx string
	for _, f := range Files() {
		var b bytes.Buffer
		if spdx, err = Write(&b, string(self), mods, f.Debian); err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join(root, "packaging", f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, b.Bytes()) {
			t.Errorf("packaging/%s does not match the modules check_arp links (%d modules): run `make copyright` and review the diff", f.Name, len(mods))
		}
		if !strings.Contains(b.String(), " go/*\n") {
			t.Errorf("packaging/%s: the Go standard library is missing", f.Name)
		}
		// The rpm's file carries the Apache-2.0 text when a bundled
		// module is under it; Debian's refers to common-licenses.
		apache := strings.Contains(b.String(), "                                 Apache License")
		if want := !f.Debian && strings.Contains(spdx, "Apache-2.0"); apache != want {
			t.Errorf("packaging/%s: Apache-2.0 text written out: %v, want %v", f.Name, apache, want)
		}
	}
	nfpm, err := os.ReadFile(filepath.Join(root, "packaging", "nfpm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tag := "(none)"
	if m := regexp.MustCompile(`(?m)^license: (.*)$`).FindSubmatch(nfpm); m != nil {
		tag = string(m[1])
	}
	if tag != spdx {
		t.Errorf("packaging/nfpm.yaml: license is %q, the binary's licences are %q: run `make copyright`", tag, spdx)
	}
}
