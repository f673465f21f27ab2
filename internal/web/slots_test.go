package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"

	"github.com/guichet/guichet/internal/caseref"
)

// postStep posts a step's multipart form as a browser does: the inputs,
// then the file (none when name is empty: browsers then send an empty
// file part), then the button pressed.
func (c *client) postStep(path string, vals url.Values, name string, data []byte) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("evidence", name)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(data)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// toEvidence starts a draft and fills it up to the evidence step.
func (c *client) toEvidence() {
	c.t.Helper()
	c.post("/preplainte", answers()).must(c.t, 200)
	c.post("/preplainte/identite", identity()).must(c.t, 200)
	c.post("/preplainte/faits", facts()).must(c.t, 200)
	c.post("/preplainte/objets", items()).must(c.t, 200, `enctype="multipart/form-data"`)
}

// TestEvidenceSentWithStep: a file chosen, then "Save and continue"
// instead of "Send this file", is stored with the step and listed on the
// review; one that cannot be stored keeps the citizen on the step with the
// reason beside the file field.
func TestEvidenceSentWithStep(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), bytes.Repeat([]byte{0}, 200)...)
	for _, tc := range []struct {
		lang, notice, refused string
	}{
		{"fr", "n’a pas été joint", "Ce type de fichier n’est pas accepté"},
		{"en", "was not attached", "This type of file is not accepted"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.lang)
			c.toEvidence()
			r := c.get("/preplainte/preuves").must(t, 200, `formaction="/preplainte/preuves/ajouter"`)
			version := regexp1(t, `name="version" value="(\d+)"`, r.Body)

			// A refused file: still on the step, the reason by the field,
			// nothing attached.
			r = c.postStep("/preplainte/preuves", url.Values{"version": {version}, "action": {"continue"}}, "facture.pdf", exe).
				must(t, http.StatusUnprocessableEntity, tc.notice, tc.refused, `id="f-evidence-error"`, `aria-invalid="true"`, `href="#f-evidence"`)
			if r.Path != "/preplainte/preuves" {
				t.Fatalf("refused file: at %s", r.Path)
			}
			if v, _ := e.svc.Draft(t.Context(), mustDraftCode(t, e, c)); len(v.Form.Evidence) != 0 || v.Step.Index() > 3 {
				t.Fatalf("refused file stored or step passed: %+v, step %s", v.Form.Evidence, v.Step)
			}

			// A good file with "Save and continue": stored, then the next
			// step; the review lists it.
			r = c.postStep("/preplainte/preuves", url.Values{"version": {version}, "action": {"continue"}}, "facture-telephone.pdf", pdf).must(t, 200)
			if r.Path != "/preplainte/commissariat" {
				t.Fatalf("after save and continue with a file: at %s\n%s", r.Path, excerpt(r.Body))
			}
			c.get("/preplainte/preuves").must(t, 200, "facture-telephone.pdf")

			// No file chosen: the step goes on as before.
			version = regexp1(t, `name="version" value="(\d+)"`, c.get("/preplainte/preuves").Body)
			r = c.postStep("/preplainte/preuves", url.Values{"version": {version}, "action": {"continue"}}, "", nil).must(t, 200)
			if r.Path != "/preplainte/commissariat" {
				t.Fatalf("no file: at %s", r.Path)
			}
			st, _ := e.svc.Draft(t.Context(), mustDraftCode(t, e, c))
			if len(st.Form.Evidence) != 1 || st.Form.Evidence[0].Name != "facture-telephone.pdf" {
				t.Fatalf("evidence %+v", st.Form.Evidence)
			}
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "action": {"choose-unit"}}).must(t, 200)
			slot := slotRE.FindStringSubmatch(r.Body)[1]
			c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {slot}}).
				must(t, 200, "facture-telephone.pdf")

			// "Send this file" still posts to its own address.
			c.upload("photo.png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{1}, 100)...)).must(t, 200, "photo.png", "facture-telephone.pdf")
		})
	}
}

// mustDraftCode returns the draft code this client's browser holds.
func mustDraftCode(t *testing.T, e *env, c *client) caseref.Code {
	t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == e.web.cookieName(draftCookie) {
			code, err := caseref.ParseCode(ck.Value)
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
	}
	t.Fatal("no draft cookie")
	return ""
}
