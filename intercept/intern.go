package intercept

import "sync"

// interner maps the few distinct reasons, sources and user names of list entries to
// small ids, so that millions of entries store 4 bytes instead of a string each.
type interner struct {
	mu   sync.RWMutex
	ids  map[string]uint32
	strs []string
}

func (in *interner) init() {
	in.ids = map[string]uint32{"": 0}
	in.strs = []string{""}
}

func (in *interner) id(s string) uint32 {
	in.mu.RLock()
	id, ok := in.ids[s]
	in.mu.RUnlock()
	if ok {
		return id
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if id, ok := in.ids[s]; ok {
		return id
	}
	id = uint32(len(in.strs))
	s = string([]byte(s)) // own the bytes: s may point into a request buffer
	in.strs = append(in.strs, s)
	in.ids[s] = id
	return id
}

func (in *interner) str(id uint32) string {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if int(id) >= len(in.strs) {
		return ""
	}
	return in.strs[id]
}
