package asl_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(stringsReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

func encode(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const storeDoc = `{"store":{"book":[
	{"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95},
	{"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99},
	{"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99},
	{"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}],
	"bicycle":{"color":"red","price":19.95}},
	"a.b":{"c d":1},"vals":[0,10,20,30,40,50]}`

func TestPathSelect(t *testing.T) {
	doc := decode(t, storeDoc)
	ctx := decode(t, `{"Execution":{"Id":"x1"},"Map":{"Item":{"Index":2}}}`)
	for _, tc := range []struct{ path, want string }{
		{"$", storeDoc},
		{"$.store.bicycle.color", `"red"`},
		{"$['store']['bicycle']['price']", `19.95`},
		{`$["store"].bicycle["color"]`, `"red"`},
		{"$['a.b']['c d']", `1`},
		{"$.store.book[0].title", `"Sayings of the Century"`},
		{"$.store.book[-1].author", `"J. R. R. Tolkien"`},
		{"$.vals[0]", `0`},
		{"$.vals[-3:]", `[30,40,50]`},
		{"$.vals[1:3]", `[10,20]`},
		{"$.vals[:2]", `[0,10]`},
		{"$.vals[::2]", `[0,20,40]`},
		{"$.vals[0,2,5]", `[0,20,50]`},
		{"$.vals[0,99]", `[0]`},
		{"$.store.book[*].author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store.book.*.price", `[8.95,12.99,8.99,22.99]`},
		{"$.store.book[*].isbn", `["0-553-21311-3","0-395-19395-8"]`},
		{"$..author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store..price", `[19.95,8.95,12.99,8.99,22.99]`},
		{"$.store.book[?(@.price < 10)].title", `["Sayings of the Century","Moby Dick"]`},
		{"$.store.book[?(@.isbn)].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$.store.book[?(@.category == 'fiction' && @.price > 20)].title", `["The Lord of the Rings"]`},
		{"$.store.book[?(@.category != 'fiction' || @.price >= 22.99)].title", `["Sayings of the Century","The Lord of the Rings"]`},
		{"$.store.book[?(!(@.price < 20))].title", `["The Lord of the Rings"]`},
		{"$.store.book[?(@.price < $.store.bicycle.price)].author", `["Nigel Rees","Evelyn Waugh","Herman Melville"]`},
		{"$.store.book[?(@.nothing)]", `[]`},
		{"$$.Execution.Id", `"x1"`},
		{"$$.Map.Item.Index", `2`},
		{"$$", `{"Execution":{"Id":"x1"},"Map":{"Item":{"Index":2}}}`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p, err := asl.ParsePath(tc.path)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			got, err := p.Select(doc, ctx)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			jsonEq(t, encode(t, got), tc.want)
		})
	}
}

func TestPathDefiniteMissingIsError(t *testing.T) {
	doc := decode(t, storeDoc)
	for _, path := range []string{"$.nope", "$.store.bicycle.color.x", "$.vals[6]", "$.vals[-7]", "$.store[0]", "$.store.book[9].title"} {
		p, err := asl.ParsePath(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, err := p.Select(doc, nil); !errors.Is(err, asl.ErrPathNotFound) {
			t.Errorf("%s: got %v, want ErrPathNotFound", path, err)
		}
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, path := range []string{"", "store", "$.", "$..", "$[", "$[0", "$['a'", "$.a[?(@.b <)]", "$.a b", "$[1:2:0]", "$.a[x]", "$.a[]", "@.a", "$.a)"} {
		if _, err := asl.ParsePath(path); !errors.Is(err, asl.ErrInvalidPath) {
			t.Errorf("ParsePath(%q): got %v, want ErrInvalidPath", path, err)
		}
	}
}

func TestReferencePath(t *testing.T) {
	for _, ok := range []string{"$", "$.a", "$.a.b[0]", "$['a b'].c", "$$.Task.Token", "$.a[-1]"} {
		if _, err := asl.ParseReferencePath(ok); err != nil {
			t.Errorf("ParseReferencePath(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"$.a[*]", "$..a", "$.a[0,1]", "$.a[1:2]", "$.a[?(@.b)]", "$.*"} {
		if _, err := asl.ParseReferencePath(bad); !errors.Is(err, asl.ErrInvalidPath) {
			t.Errorf("ParseReferencePath(%q): got %v, want ErrInvalidPath", bad, err)
		}
	}
}
