package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// spawner starts processes inside one network namespace. Its goroutine is
// locked to an OS thread that has joined the namespace; a process forked
// from that thread inherits it (os.StartProcess documents this). So the
// measured process is the command itself, exactly as `ip netns exec`
// would leave it after its exec, but without ip's own setup work (mount
// namespace, /sys remount), which wait4's rusage would otherwise add to
// the command's CPU time and peak RSS.
type spawner struct {
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	fn   func() // run on the thread instead of starting cmd
	done chan error
}

// newSpawner joins the namespace at nsPath (/run/netns/NAME) on a thread of
// its own. That thread is never unlocked: it dies with its goroutine, so
// no other goroutine ever runs in the namespace by accident.
func newSpawner(nsPath string) (*spawner, error) {
	s := &spawner{reqs: make(chan spawnReq)}
	ready := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		ready <- err
		if err != nil {
			return
		}
		for r := range s.reqs {
			if r.fn != nil {
				r.fn()
				r.done <- nil
				continue
			}
			r.done <- r.cmd.Start()
		}
	}()
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("joining %s: %w", nsPath, err)
	}
	return s, nil
}

func (s *spawner) close() { close(s.reqs) }

func (s *spawner) start(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	s.reqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// sample is one run of one command.
type sample struct {
	Wall   time.Duration
	CPU    time.Duration // user + system, from wait4's rusage (microseconds)
	MaxRSS int64         // peak resident set in KiB (ru_maxrss)
	Code   int
	Out    string
}

// running is a started command.
type running struct {
	cmd   *exec.Cmd
	out   *bytes.Buffer
	start time.Time
}

// launch starts argv in the namespace; wall time counts from just before
// the fork.
func (s *spawner) launch(ctx context.Context, argv []string) (*running, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	r := &running{cmd: cmd, out: &out, start: time.Now()}
	if err := s.start(cmd); err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	return r, nil
}

// wait reaps the command and reads its rusage. wait4 reports the child
// together with every descendant it waited for, so a shell pipeline is
// measured as a whole.
func (r *running) wait() (sample, error) {
	err := r.cmd.Wait()
	wall := time.Since(r.start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return sample{}, fmt.Errorf("%s: %w", r.cmd.Path, err)
	}
	ps := r.cmd.ProcessState
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, errors.New("no rusage for the child")
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return sample{}, fmt.Errorf("%s was killed by %s: %s", r.cmd.Path, ws.Signal(), r.out.String())
	}
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	return sample{
		Wall:   wall,
		CPU:    tv(ru.Utime) + tv(ru.Stime),
		MaxRSS: ru.Maxrss,
		Code:   ps.ExitCode(),
		Out:    r.out.String(),
	}, nil
}

// run starts argv and waits for it.
func (s *spawner) run(ctx context.Context, argv []string) (sample, error) {
	r, err := s.launch(ctx, argv)
	if err != nil {
		return sample{}, err
	}
	return r.wait()
}

// pin makes the processes the spawner starts from now on run only on cpus
// (a list as taskset takes it: "0", "0-1"): a process inherits the CPU
// affinity of the thread that forks it.
func (s *spawner) pin(cpus string) error {
	var set unix.CPUSet
	lo, hi, found := strings.Cut(cpus, "-")
	first, err := strconv.Atoi(lo)
	if err != nil {
		return fmt.Errorf("CPU list %q: %w", cpus, err)
	}
	last := first
	if found {
		if last, err = strconv.Atoi(hi); err != nil {
			return fmt.Errorf("CPU list %q: %w", cpus, err)
		}
	}
	for c := first; c <= last; c++ {
		set.Set(c)
	}
	var serr error
	done := make(chan error, 1)
	s.reqs <- spawnReq{fn: func() { serr = unix.SchedSetaffinity(0, &set) }, done: done}
	<-done
	if serr != nil {
		return fmt.Errorf("pinning to CPUs %s: %w", cpus, serr)
	}
	return nil
}
