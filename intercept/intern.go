package intercept

import (
	"sync"
	"sync/atomic"
)

// interner maps the few distinct reasons, sources and user names of list entries to
// small ids, so that millions of entries store 4 bytes instead of a string each.
// Readers take no lock: the tables are immutable, replaced whole when a new string
// comes (rare: reasons are few).
//
// Past cowLimit strings (free-text reasons, say) copying would cost O(n) per new
// string, so later ones go to a locked overflow table instead.
type interner struct {
	mu       sync.Mutex // serialises writers, guards the overflow
	cur      atomic.Pointer[internTable]
	over     map[string]uint32
	overStrs []string // ids from cowLimit on
}

const cowLimit = 4096

type internTable struct {
	ids  map[string]uint32
	strs []string
}

func (in *interner) init() {
	in.cur.Store(&internTable{ids: map[string]uint32{"": 0}, strs: []string{""}})
}

func (in *interner) id(s string) uint32 {
	if id, ok := in.cur.Load().ids[s]; ok {
		return id
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	old := in.cur.Load()
	if id, ok := old.ids[s]; ok {
		return id
	}
	if len(old.strs) >= cowLimit {
		if id, ok := in.over[s]; ok {
			return id
		}
		if in.over == nil {
			in.over = map[string]uint32{}
		}
		id := uint32(cowLimit + len(in.overStrs))
		in.overStrs = append(in.overStrs, string([]byte(s)))
		in.over[in.overStrs[len(in.overStrs)-1]] = id
		return id
	}
	t := &internTable{ids: make(map[string]uint32, len(old.ids)+1), strs: append(old.strs[:len(old.strs):len(old.strs)], string([]byte(s)))}
	for k, v := range old.ids {
		t.ids[k] = v
	}
	id := uint32(len(t.strs) - 1)
	t.ids[t.strs[id]] = id // own the bytes: s may point into a request buffer
	in.cur.Store(t)
	return id
}

func (in *interner) str(id uint32) string {
	t := in.cur.Load()
	if int(id) < len(t.strs) {
		return t.strs[id]
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if i := int(id) - cowLimit; i >= 0 && i < len(in.overStrs) {
		return in.overStrs[i]
	}
	return ""
}
