package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lanjie/lanjie/ui/auth"
)

// Changing one's own password needs the current one; wrong guesses are throttled like
// sign-ins. An admin sets another user's without it.
func TestOwnPasswordChangeNeedsTheCurrentOne(t *testing.T) {
	_, st, base := startWithAuth(t, &journal{})
	const old = "pw-hotline-synthetic-1"
	if _, err := st.CreateUser("pw.hotline", old, auth.Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	me := login(t, base, "pw.hotline", old)
	url := base + "/api/v1/users/pw.hotline/password"
	for _, c := range []struct {
		body, field string
	}{
		{`{"password":"pw-hotline-synthetic-2"}`, "current"},
		{`{"current":"not-it-at-all","password":"pw-hotline-synthetic-2"}`, "current"},
		{`{"current":"` + old + `","password":"short"}`, "password"},
	} {
		status, _, ans := send(t, "POST", url, me, []byte(c.body))
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(ans), c.field) {
			t.Errorf("%s: %d %s, want 422 naming %s", c.body, status, ans, c.field)
		}
	}
	if _, err := st.Authenticate("pw.hotline", old); err != nil {
		t.Fatalf("a refused change changed the password: %v", err)
	}
	sendJSON(t, "POST", url, me, `{"current":"`+old+`","password":"pw-hotline-synthetic-2"}`, http.StatusNoContent, nil)
	if _, err := st.Authenticate("pw.hotline", "pw-hotline-synthetic-2"); err != nil {
		t.Fatalf("the new password does not sign in: %v", err)
	}
	if status, _, _ := send(t, "GET", base+"/api/v1/me", me, nil); status != http.StatusUnauthorized {
		t.Errorf("the session that changed the password still works: %d, want 401", status)
	}

	// Guessing the current password from an open session meets the sign-in throttle.
	me = login(t, base, "pw.hotline", "pw-hotline-synthetic-2")
	codes := map[int]int{}
	for i := range 7 {
		status, _, _ := send(t, "POST", url, me, []byte(fmt.Sprintf(`{"current":"guess-%d-xxxxxxxx","password":"pw-hotline-synthetic-3"}`, i)))
		codes[status]++
	}
	if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusUnprocessableEntity] > 5 {
		t.Errorf("7 wrong guesses answered %v, want at most 5 refused as wrong and then 429", codes)
	}

	admin := login(t, base, "admin", adminPassword)
	sendJSON(t, "POST", url, admin, `{"password":"pw-hotline-synthetic-4"}`, http.StatusNoContent, nil)
	if _, err := st.Authenticate("pw.hotline", "pw-hotline-synthetic-4"); err != nil {
		t.Fatalf("an admin's reset does not sign in: %v", err)
	}
}
