package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const inviteButton = `form[action^="/settings/users/invite"] button[type="submit"]`

// TestBrowserInvitation: an admin invites an address, the invitee opens the link in a
// browser of their own, chooses a name and a password, is signed in, and sees no
// administrator sections.
func TestBrowserInvitation(t *testing.T) {
	h := start(t)
	ctx := newBrowser(t, 90*time.Second)
	signInInBrowser(t, ctx, h.url)

	step(t, ctx, "invite",
		chromedp.Navigate(h.url+"/settings/users"),
		chromedp.WaitVisible(chromedp.ID("emails")),
		chromedp.SendKeys(chromedp.ID("emails"), "invitee@example.com"),
		chromedp.Click(chromedp.CSS(inviteButton)),
		chromedp.WaitVisible(chromedp.ID("invite-link-0")),
	)
	link := read(t, ctx, "read the link", chromedp.Text(chromedp.ID("invite-link-0")))
	if !strings.HasPrefix(link, h.url+"/invite/") {
		t.Fatalf("link = %q, want %s/invite/<token>", link, h.url)
	}

	guest, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	step(t, guest, "accept the invitation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Ines Vitee"),
		chromedp.SendKeys(chromedp.ID("password"), memberPassword),
		chromedp.SendKeys(chromedp.ID("confirm_password"), memberPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("display-name")),
	)
	name := read(t, guest, "read name", chromedp.Text(chromedp.ID("display-name")))
	if name != "Ines Vitee" {
		t.Errorf("display name = %q, want Ines Vitee", name)
	}
	nav := read(t, guest, "read navigation", chromedp.Text(chromedp.CSS("nav.sidenav")))
	if strings.Contains(nav, "Administrator") || strings.Contains(nav, "Users and groups") {
		t.Errorf("the invitee's navigation shows admin sections: %q", nav)
	}
	if !strings.Contains(nav, "Profile") {
		t.Errorf("navigation = %q, want the user sections", nav)
	}
	resp, err := chromedp.RunResponse(guest, chromedp.Navigate(h.url+"/settings/users"))
	if err != nil {
		t.Fatalf("open /settings/users as the invitee: %v", err)
	}
	if resp.Status != http.StatusNotFound {
		t.Errorf("/settings/users as the invitee: status %d, want 404", resp.Status)
	}

	step(t, ctx, "the admin sees the new member",
		chromedp.Navigate(h.url+"/settings/users?q=invitee"),
		chromedp.WaitVisible(chromedp.CSS(".table-users")),
	)
	status := read(t, ctx, "read status", chromedp.Text(chromedp.CSS(".table-users .badge")))
	if status != "Active" {
		t.Errorf("the invitee's status = %q, want Active", status)
	}
}
