package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The failure tests run the real binary as a child process, so that a crash is a real
// SIGKILL and not a simulated one. It is built once per test binary, into a directory
// TestMain removes.

var (
	binDir   string // set by TestMain
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lanjie-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanjie tests:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lanjieBinary builds cmd/lanjie (the package under test) once and returns its path.
func lanjieBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		path := filepath.Join(binDir, "lanjie")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			binError = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binPath = path
		t.Logf("built %s in %s", path, time.Since(start).Round(time.Millisecond))
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// testAdminPassword is the first admin's password of every console the tests start.
var testAdminPassword = "t-" + rand.Text()

// feedKey signs in to the console at base as its admin and returns a new hotline API
// key for posting feeds.
func feedKey(t *testing.T, base string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	call := func(path, csrf string, in, out any) {
		body, _ := json.Marshal(in)
		req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %s %s", path, resp.Status, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
	var login struct{ CSRF string }
	call("/api/v1/login", "", map[string]string{"username": "admin", "password": testAdminPassword}, &login)
	var key struct{ Key string }
	call("/api/v1/apikeys", login.CSRF, map[string]string{"name": "test feed", "role": "hotline"}, &key)
	return key.Key
}

// apiLine is how lanjie says where it serves, once it serves.
var apiLine = regexp.MustCompile(`API:\s+(http://\S+)/api/v1/events`)

// lanjieChild is one run of the lanjie binary.
type lanjieChild struct {
	cmd     *exec.Cmd
	base    string // http://host:port
	logPath string // its stdout and stderr
	done    chan struct{}
	waitErr error
	started time.Time
	serving time.Duration // from exec to the API line
}

// startChild runs bin with args, its output in logPath, and returns once it prints
// the API line (or fails when it exits first or ctx ends). The child is killed when
// t ends.
func startChild(ctx context.Context, t *testing.T, bin, logPath string, args ...string) (*lanjieChild, error) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LANJIE_ADMIN_PASSWORD="+testAdminPassword)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	c := &lanjieChild{cmd: cmd, logPath: logPath, done: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start lanjie: %w", err)
	}
	t.Cleanup(func() { c.kill() })
	found := make(chan string, 1)
	go func() {
		// stdout is copied to the log too; the API line says where to post.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if m := apiLine.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
		c.waitErr = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	select {
	case c.base = <-found:
		c.serving = time.Since(c.started)
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("lanjie exited before serving (%v); its log:\n%s", c.waitErr, tailFile(logPath, 30))
	case <-ctx.Done():
		c.kill()
		return nil, fmt.Errorf("lanjie did not serve: %w; its log:\n%s", ctx.Err(), tailFile(logPath, 30))
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *lanjieChild) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Kill()
	<-c.done
}

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// grepLogs counts the lines of the logs that contain s, and returns the first few.
func grepLogs(paths []string, s string, keep int) (int, []string) {
	n := 0
	var first []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if bytes.Contains(sc.Bytes(), []byte(s)) {
				n++
				if len(first) < keep {
					first = append(first, filepath.Base(p)+": "+sc.Text())
				}
			}
		}
		f.Close()
	}
	return n, first
}
