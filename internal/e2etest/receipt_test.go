package e2etest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestReceiptSQLite: a citizen files a pre-complaint on `guichet serve`
// (SQLite), downloads recu.json from the status page, and the receipt
// verifies offline with `guichet verify receipt` and with a client built
// on golang.org/x/mod/sumdb alone.
func TestReceiptSQLite(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "guichet.db")
	seed(t, db)
	receiptJourney(t, dir, startServe(t, dir, db))
}

// TestReceiptPostgres is TestReceiptSQLite on PostgreSQL.
func TestReceiptPostgres(t *testing.T) {
	db := freshDatabase(t)
	seed(t, db)
	dir := t.TempDir()
	receiptJourney(t, dir, startServe(t, dir, db))
}

var logIndexRE = regexp.MustCompile(`Enregistré dans le journal public à l’index (\d+)\.`)

func receiptJourney(t *testing.T, dataDir string, s *server) {
	c := newCitizen(t, s.url)
	ref, _ := fileCase(t, c, 0)

	// The sequencer logs the submission within a second or so.
	var p page
	deadline := time.Now().Add(15 * time.Second)
	for {
		p = c.get("/suivi/" + ref)
		expect(t, p, http.StatusOK, "/suivi/"+ref)
		if logIndexRE.MatchString(p.body) || time.Now().After(deadline) {
			break
		}
		has(t, p, "sera inscrit dans le journal public")
		time.Sleep(100 * time.Millisecond)
	}
	index, err := strconv.ParseInt(find(t, p, logIndexRE, "the log index"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.body, `href="/suivi/`+ref+`/recu.json"`) {
		t.Fatalf("no link to recu.json:\n%s", excerpt(p.body))
	}

	// The download, with the browser's access cookie.
	res, err := c.c.Get(s.url + "/suivi/" + ref + "/recu.json")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="recu-`+ref+`.json"` {
		t.Fatalf("recu.json: %d %v\n%s", res.StatusCode, res.Header, body.String())
	}
	file := filepath.Join(t.TempDir(), "recu-"+ref+".json")
	if err := os.WriteFile(file, body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without the cookie, nothing.
	if p := newCitizen(t, s.url).get("/suivi/" + ref + "/recu.json"); p.path != "/suivi?ref="+ref || strings.Contains(p.body, `"leaf"`) {
		t.Fatalf("recu.json without access: ended on %s", p.path)
	}

	// The verifier key, as the operator publishes it.
	out, err := exec.Command(binary(t), "admin", "log-key", "--data", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("guichet admin log-key: %v\n%s", err, out)
	}
	vkey := strings.TrimSpace(string(out))
	if served := strings.TrimSpace(c.get("/log/key").body); served != vkey {
		t.Fatalf("/log/key serves %q, admin log-key prints %q", served, vkey)
	}

	out, err = exec.Command(binary(t), "verify", "receipt", file, "--key", vkey).CombinedOutput()
	if err != nil {
		t.Fatalf("guichet verify receipt: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("of %s (", ref); !strings.Contains(string(out), "OK: event \"submitted\"") || !strings.Contains(string(out), want) ||
		!strings.Contains(string(out), fmt.Sprintf("is entry %d of log", index)) {
		t.Fatalf("guichet verify receipt says:\n%s", out)
	}

	size := independentCheck(t, body.Bytes(), vkey, ref, index)

	// A receipt whose leaf was altered is refused.
	tampered := bytes.Replace(body.Bytes(), []byte(`\"type\":\"submitted\"`), []byte(`\"type\":\"withdrawn\"`), 1)
	if bytes.Equal(tampered, body.Bytes()) {
		t.Fatal("could not tamper with the receipt's leaf")
	}
	bad := filepath.Join(t.TempDir(), "tampered.json")
	if err := os.WriteFile(bad, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary(t), "verify", "receipt", bad, "--key", vkey).CombinedOutput(); err == nil || !strings.Contains(string(out), "not included") {
		t.Fatalf("a tampered receipt verified (%v):\n%s", err, out)
	}

	// Another case grows the log; refreshing the proof says so.
	fileCase(t, newCitizen(t, s.url), 1)
	want := fmt.Sprintf("le journal est passé de %d à", size)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		p = c.post("/suivi/"+ref+"/preuve", url.Values{"taille": {strconv.FormatInt(size, 10)}})
		expect(t, p, http.StatusOK, "/suivi/"+ref+"/preuve")
		if strings.Contains(p.body, want) || time.Now().After(deadline) {
			break
		}
	}
	has(t, p, want)
	has(t, p, fmt.Sprintf("à l’index %d.", index))
}

// independentCheck verifies a receipt with golang.org/x/mod/sumdb only
// (note for the signature, tlog for the proof), as a third party would
// without guichet's code, and returns the tree size proved against.
func independentCheck(t *testing.T, file []byte, vkey, ref string, index int64) int64 {
	t.Helper()
	var r struct {
		Ref        string   `json:"ref"`
		Salt       string   `json:"salt"`
		Leaf       string   `json:"leaf"`
		Index      int64    `json:"index"`
		Proof      []string `json:"inclusion_proof"`
		Checkpoint string   `json:"checkpoint"`
	}
	if err := json.Unmarshal(file, &r); err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(r.Checkpoint), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint signature: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != v.Name() {
		t.Fatalf("checkpoint body %q is not for origin %q", n.Text, v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(r.Proof))
	for i, s := range r.Proof {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			t.Fatalf("proof hash %d: %q", i, s)
		}
		copy(proof[i][:], b)
	}
	if r.Index != index || r.Ref != ref {
		t.Fatalf("receipt for %s at %d, want %s at %d", r.Ref, r.Index, ref, index)
	}
	if err := tlog.CheckRecord(proof, size, root, r.Index, tlog.RecordHash([]byte(r.Leaf))); err != nil {
		t.Fatalf("inclusion proof: %v", err)
	}
	// The leaf commits to the reference with the salt, and to nothing
	// personal.
	var leaf map[string]any
	if err := json.Unmarshal([]byte(r.Leaf), &leaf); err != nil {
		t.Fatal(err)
	}
	salt, err := hex.DecodeString(r.Salt)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(salt, ref...))
	if leaf["case"] != hex.EncodeToString(sum[:]) || leaf["type"] != "submitted" {
		t.Fatalf("leaf %s does not commit to %s", r.Leaf, ref)
	}
	for k := range leaf {
		switch k {
		case "v", "kind", "case", "type", "at", "digest":
		default:
			t.Errorf("leaf holds an unexpected field %q", k)
		}
	}
	return size
}

// fileCase files a pre-complaint through the form posts of a browser
// without JavaScript, booking the n-th free slot offered, and returns its
// reference and tracking code. The browser then holds access to the case.
func fileCase(t *testing.T, c *citizen, n int) (ref, code string) {
	t.Helper()
	return fileCaseAt(t, c, n, "")
}

// fileCaseAt is fileCase at the unit of ID unitID (the first offered if
// empty).
func fileCaseAt(t *testing.T, c *citizen, n int, unitID string) (ref, code string) {
	t.Helper()
	steps := []struct {
		path string
		form url.Values
		next string
	}{
		{"/preplainte", url.Values{"emergency": {"no"}, "violence": {"no"}, "author_known": {"no"}, "category": {"theft"}}, "/preplainte/code"},
		{"/preplainte/identite", url.Values{"civility": {"m"}, "last_name": {"Durand"}, "first_name": {"Noé"},
			"birth_date": {"1990-07-14"}, "email": {"noe.durand@exemple.fr"}, "phone": {"06 98 76 54 32"},
			"address": {"3 quai Saint-Vincent"}, "postcode": {"69001"}, "city": {"Lyon"}}, "/preplainte/faits"},
		{"/preplainte/faits", url.Values{"facts_from": {time.Now().AddDate(0, 0, -2).Format("2006-01-02") + "T09:15"},
			"place_postcode": {"69001"}, "place_city": {"Lyon"}, "description": {"Vélo volé devant la gare, antivol coupé."}}, "/preplainte/objets"},
		{"/preplainte/objets", url.Values{"items.0.kind": {"bicycle"}, "items.0.description": {"Vélo de ville bleu"}, "items.0.value": {"300"}}, "/preplainte/preuves"},
		{"/preplainte/preuves", url.Values{}, "/preplainte/commissariat"},
	}
	var p page
	for i, st := range steps {
		if i == 1 {
			// From the draft code page, the first step is a link.
			p = c.get(st.path)
			expect(t, p, http.StatusOK, st.path)
		}
		if i > 0 {
			st.form = withVersion(t, p, st.form)
			st.form.Set("action", "continue")
		}
		p = c.post(st.path, st.form)
		expect(t, p, http.StatusOK, st.next)
	}
	unit := unitID
	if unit == "" {
		unit = find(t, p, unitRE, "a unit to choose")
	}
	p = c.post("/preplainte/commissariat", withVersion(t, p, url.Values{"action": {"choose-unit"}, "unit_id": {unit}, "q": {"69001"}}))
	expect(t, p, http.StatusOK, "/preplainte/commissariat")
	slots := slotRE.FindAllStringSubmatch(p.body, -1)
	if len(slots) == 0 {
		t.Fatalf("no free slot:\n%s", excerpt(p.body))
	}
	slot := slots[n%len(slots)][1]
	p = c.post("/preplainte/commissariat", withVersion(t, p, url.Values{"action": {"continue"}, "unit_id": {unit}, "slot_id": {slot}, "q": {"69001"}}))
	expect(t, p, http.StatusOK, "/preplainte/recapitulatif")
	p = c.post("/preplainte/envoyer", withVersion(t, p, url.Values{"action": {"continue"}, "consent": {"yes"}}))
	expect(t, p, http.StatusOK, "/preplainte/envoyee")
	return find(t, p, refRE, "the reference"), find(t, p, codeRE, "the tracking code")
}
