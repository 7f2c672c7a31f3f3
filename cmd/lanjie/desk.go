package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/intercept/webhook"
	"github.com/lanjie/lanjie/ui/auth"
)

// openAuth opens the users and keys, and on a first start creates the admin: with
// LANJIE_ADMIN_PASSWORD, or a generated password printed once. There is no default.
func (m *Main) openAuth() error {
	st, err := auth.Open(filepath.Join(m.cfg.DataDir, "auth.json"), auth.Options{})
	if err != nil {
		return err
	}
	m.auth, m.sessions = st, auth.NewSessions(30*time.Minute, 12*time.Hour, nil)
	generated, created, err := st.Bootstrap(m.cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("first admin: %w", err)
	}
	switch {
	case created && generated != "":
		fmt.Fprintf(m.out, "\nFirst start: user \"admin\" created with password\n\n    %s\n\nIt is shown this once: keep it, or change it (POST /api/v1/users/admin/password).\n", generated)
	case created:
		fmt.Fprintf(m.out, "\nFirst start: user \"admin\" created with the password from LANJIE_ADMIN_PASSWORD.\n")
	}
	return nil
}

// endpoint is an org's webhook, for the deliverer.
func (m *Main) endpoint(org string) (webhook.Endpoint, bool) {
	h, ok := m.auth.Webhook(org)
	return webhook.Endpoint{URL: h.URL, Secret: []byte(h.Secret)}, ok
}

// OrderMessage is the body of an order webhook.
type OrderMessage struct {
	Event string `json:"event"` // order.pending, order.released, order.converted, order.amended
	// Version is how many statuses the order had when the message was made: retries
	// can bring an older message after a newer one, and a receiver drops any message
	// with a lower version than one it applied for the order.
	Version int             `json:"version"`
	Order   intercept.Order `json:"order"`
}

// notify queues an order for its org's system. The key is stable per order and
// status (and version, for a stop amended more than once), so a receiver applies
// each message once however often it comes.
func (m *Main) notify(o intercept.Order, event string) {
	body, err := json.Marshal(OrderMessage{Event: event, Version: len(o.History), Order: o})
	key := o.ID + ":" + strings.TrimPrefix(event, "order.")
	if event == "order."+intercept.StatusAmended {
		key += ":" + strconv.Itoa(o.LastAmended()) // the same when Resend sends it again
	}
	if err == nil {
		err = m.deliver.Enqueue(webhook.Delivery{Key: key, Org: o.Org, Event: event,
			Body: body, Created: time.Now()})
	}
	if err != nil {
		m.log.Error("order_not_queued", "order_id", o.ID, "org", o.Org, "err", err)
	}
}

// delivered marks an order sent once its org's system took it.
func (m *Main) delivered(r webhook.Record) {
	if r.State != webhook.StateDelivered || r.Event != "order.pending" {
		return
	}
	id, _, _ := strings.Cut(r.Key, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := m.desk.ActOnOrder(ctx, id, "", intercept.OrderOp{Op: "sent", Who: "webhook"})
	if err != nil && !errors.Is(err, intercept.ErrConflict) {
		m.log.Warn("order_sent_not_recorded", "order_id", id, "err", err)
	}
}

// sweepLoop moves orders past their deadlines (overdue, expired).
func (m *Main) sweepLoop(ctx context.Context) {
	t := time.NewTicker(m.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.desk.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("order_sweep_failed", "err", err)
		}
	}
}
