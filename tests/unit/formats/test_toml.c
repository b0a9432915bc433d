/* The strict TOML 1.0.0 reader: valid documents against the expected tree (written as JSON by
 * our writer: dates and times as ISO strings), invalid documents against the exact
 * "line:col: reason", and the limits (depth, arena, allocation failures, size). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "formats/toml.h"
#include "formats/json.h"

/* ---- helpers ---- */

/* Parse `toml` (len bytes) and return its tree as compact JSON (malloc'd), or NULL with the
 * test failed. */
static char *toml_to_json_n(const char *toml, size_t len)
{
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v = NULL;
    dltc_toml_error err;
    int rc = dltc__toml_parse(&a, toml, len, "t.toml", 0, &v, &err);
    if (rc != 0) {
        dltc__arena_free(&a);
        fail_msg("unexpected error: %s\n--- input:\n%s", dltc_error_last()->message, toml);
        return NULL;
    }
    assert_int_equal(v->type, DLTC_TYPE_OBJECT);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&b, v), 0);
    char *out = strdup(b.data);
    dltc__buf_free(&b);
    dltc__arena_free(&a);
    return out;
}

static void check_json_n(const char *toml, size_t len, const char *expected)
{
    char *got = toml_to_json_n(toml, len);
    if (strcmp(got, expected) != 0)
        fail_msg("input:\n%s\nexpected: %s\ngot:      %s", toml, expected, got);
    free(got);
}

static void check_json(const char *toml, const char *expected)
{
    check_json_n(toml, strlen(toml), expected);
}

/* The error message of parsing `toml` (no name: "line:col: reason"). */
static const char *parse_error_n(const char *toml, size_t len, int *code)
{
    static char msg[512];
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v = NULL;
    dltc_toml_error err;
    int rc = dltc__toml_parse(&a, toml, len, NULL, 0, &v, &err);
    dltc__arena_free(&a);
    if (rc == 0)
        return NULL;
    snprintf(msg, sizeof(msg), "%s", dltc_error_last()->message);
    /* the struct agrees with the message */
    char again[512];
    snprintf(again, sizeof(again), "%llu:%llu: %s", (unsigned long long)err.line,
             (unsigned long long)err.column, err.reason);
    assert_string_equal(again, msg);
    assert_int_equal(err.code, rc);
    assert_true(err.offset <= len);
    if (code)
        *code = rc;
    return msg;
}

/* ---- valid documents ---- */

static void empty_documents(void **state)
{
    (void)state;
    check_json("", "{}");
    check_json("\n\n", "{}");
    check_json("# only a comment", "{}");
    check_json("  \t\n# c\n   # c2\n\t\n", "{}");
    check_json("a = 1", "{\"a\":1}"); /* no newline at the end */
    check_json("a = 1 # comment", "{\"a\":1}");
    check_json("a=1", "{\"a\":1}");
    check_json("a\t=\t1\t", "{\"a\":1}");
}

static void integers(void **state)
{
    (void)state;
    check_json("a = 99\nb = +99\nc = 42\nd = 0\ne = -17\nf = +0\ng = -0",
               "{\"a\":99,\"b\":99,\"c\":42,\"d\":0,\"e\":-17,\"f\":0,\"g\":0}");
    check_json("a = 1_000\nb = 5_349_221\nc = 53_49_221\nd = 1_2_3_4_5",
               "{\"a\":1000,\"b\":5349221,\"c\":5349221,\"d\":12345}");
    check_json("max = 9223372036854775807\nmin = -9223372036854775808",
               "{\"max\":9223372036854775807,\"min\":-9223372036854775808}");
    check_json("a = 0xDEADBEEF\nb = 0xdeadbeef\nc = 0xdead_beef\nd = 0x00\ne = 0x7FFFFFFFFFFFFFFF",
               "{\"a\":3735928559,\"b\":3735928559,\"c\":3735928559,\"d\":0,"
               "\"e\":9223372036854775807}");
    check_json("a = 0o01234567\nb = 0o755\nc = 0o7_7", "{\"a\":342391,\"b\":493,\"c\":63}");
    check_json("a = 0b11010110\nb = 0b0\nc = 0b1_0", "{\"a\":214,\"b\":0,\"c\":2}");
}

static void floats(void **state)
{
    (void)state;
    check_json("a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\n"
               "g = 6.626e-34\nh = 224_617.445_991_228\ni = 1e1_0\nj = 0.0\nk = -0.0\n"
               "l = +0.0\nm = 0e0\nn = 1e-0_1",
               "{\"a\":1.0,\"b\":3.1415,\"c\":-0.01,\"d\":5e+22,\"e\":1000000.0,\"f\":-0.02,"
               "\"g\":6.626e-34,\"h\":224617.445991228,\"i\":10000000000.0,\"j\":0.0,"
               "\"k\":-0.0,\"l\":0.0,\"m\":0.0,\"n\":0.1}");
    check_json("tiny = 1e-400", "{\"tiny\":0.0}"); /* underflow is not an error */

    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v;
    const char *doc = "a = inf\nb = +inf\nc = -inf\nd = nan\ne = +nan\nf = -nan\ng = -0.0";
    assert_int_equal(dltc__toml_parse(&a, doc, strlen(doc), NULL, 0, &v, NULL), 0);
    assert_int_equal(v->len, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(v->u.obj[i].val.type, DLTC_TYPE_DOUBLE);
    assert_true(isinf(v->u.obj[0].val.u.d) && v->u.obj[0].val.u.d > 0);
    assert_true(isinf(v->u.obj[1].val.u.d) && v->u.obj[1].val.u.d > 0);
    assert_true(isinf(v->u.obj[2].val.u.d) && v->u.obj[2].val.u.d < 0);
    assert_true(isnan(v->u.obj[3].val.u.d) && !signbit(v->u.obj[3].val.u.d));
    assert_true(isnan(v->u.obj[4].val.u.d) && !signbit(v->u.obj[4].val.u.d));
    assert_true(isnan(v->u.obj[5].val.u.d) && signbit(v->u.obj[5].val.u.d));
    assert_true(v->u.obj[6].val.u.d == 0 && signbit(v->u.obj[6].val.u.d));
    assert_null(v->u.obj[0].val.lex);
    dltc__arena_free(&a);
}

static void booleans(void **state)
{
    (void)state;
    check_json("t = true\nf = false\narr = [true,false]",
               "{\"t\":true,\"f\":false,\"arr\":[true,false]}");
}

static void basic_strings(void **state)
{
    (void)state;
    check_json("s = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"",
               "{\"s\":\"I'm a string. \\\"You can quote me\\\". Name\\tJos\xc3\xa9\\nLocation\\tSF.\"}");
    check_json("s = \"\\b\\t\\n\\f\\r\\\"\\\\\"", "{\"s\":\"\\b\\t\\n\\f\\r\\\"\\\\\"}");
    check_json("s = \"\\u0041\\u00e9\\u20AC\\U0001F600\\U00000041\\uFFFF\\U0010FFFF\"",
               "{\"s\":\"A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "A\xef\xbf\xbf\xf4\x8f\xbf\xbf\"}");
    check_json("s = \"\\u0000\"", "{\"s\":\"\\u0000\"}"); /* NUL by escape is allowed */
    check_json("s = \"tab\there\"", "{\"s\":\"tab\\there\"}");
    check_json("s = \"\"", "{\"s\":\"\"}");
    check_json("s = \"#not a comment\" # a comment", "{\"s\":\"#not a comment\"}");
    check_json("s = \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
               "{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");

    /* the length is exact when the string holds a NUL */
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v;
    const char *doc = "s = \"a\\u0000b\"";
    assert_int_equal(dltc__toml_parse(&a, doc, strlen(doc), NULL, 0, &v, NULL), 0);
    assert_int_equal(v->u.obj[0].val.len, 3);
    assert_memory_equal(v->u.obj[0].val.u.s, "a\0b", 4);
    dltc__arena_free(&a);
}

static void multiline_basic_strings(void **state)
{
    (void)state;
    /* the newline right after the opening delimiter is trimmed */
    check_json("s = \"\"\"\nRoses are red\nViolets are blue\"\"\"",
               "{\"s\":\"Roses are red\\nViolets are blue\"}");
    check_json("s = \"\"\"\r\nRoses\r\nViolets\"\"\"", "{\"s\":\"Roses\\nViolets\"}");
    check_json("s = \"\"\"\n\nOne\"\"\"", "{\"s\":\"\\nOne\"}");
    /* line-ending backslash */
    check_json("s1 = \"The quick brown fox jumps over the lazy dog.\"\n"
               "s2 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
               "s3 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n"
               "       the lazy dog.\\\n       \"\"\"",
               "{\"s1\":\"The quick brown fox jumps over the lazy dog.\","
               "\"s2\":\"The quick brown fox jumps over the lazy dog.\","
               "\"s3\":\"The quick brown fox jumps over the lazy dog.\"}");
    check_json("s = \"\"\"a \\  \t \r\n  \r\n b\"\"\"", "{\"s\":\"a b\"}");
    /* quotes inside and before the closing delimiter */
    check_json("s4 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
               "s5 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
               "s6 = \"\"\"Here are fifteen quotation marks: \"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"\n"
               "s7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"",
               "{\"s4\":\"Here are two quotation marks: \\\"\\\". Simple enough.\","
               "\"s5\":\"Here are three quotation marks: \\\"\\\"\\\".\","
               "\"s6\":\"Here are fifteen quotation marks: "
               "\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\".\","
               "\"s7\":\"\\\"This,\\\" she said, \\\"is just a pointless statement.\\\"\"}");
    check_json("a = \"\"\"\"\"\"\nb = \"\"\"\"\"\"\"\nc = \"\"\"\"\"\"\"\"\nd = \"\"\"x\"\"\"\"\"",
               "{\"a\":\"\",\"b\":\"\\\"\",\"c\":\"\\\"\\\"\",\"d\":\"x\\\"\\\"\"}");
    check_json("s = \"\"\"tab\tand \\t escape\"\"\"", "{\"s\":\"tab\\tand \\t escape\"}");
    check_json("s = \"\"\"\\\\\n\"\"\"", "{\"s\":\"\\\\\\n\"}"); /* escaped backslash, not trim */
}

static void literal_strings(void **state)
{
    (void)state;
    check_json("winpath = 'C:\\Users\\nodejs\\templates'\n"
               "winpath2 = '\\\\ServerX\\admin$\\system32\\'\n"
               "quoted = 'Tom \"Dubs\" Preston-Werner'\nregex = '<\\i\\c*\\s*>'\ne = ''",
               "{\"winpath\":\"C:\\\\Users\\\\nodejs\\\\templates\","
               "\"winpath2\":\"\\\\\\\\ServerX\\\\admin$\\\\system32\\\\\","
               "\"quoted\":\"Tom \\\"Dubs\\\" Preston-Werner\",\"regex\":\"<\\\\i\\\\c*\\\\s*>\","
               "\"e\":\"\"}");
    check_json("regex2 = '''I [dw]on't need \\d{2} apples'''\n"
               "lines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n"
               "   is preserved.\n'''",
               "{\"regex2\":\"I [dw]on't need \\\\d{2} apples\","
               "\"lines\":\"The first newline is\\ntrimmed in raw strings.\\n   All other "
               "whitespace\\n   is preserved.\\n\"}");
    check_json("quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\n"
               "apos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\n"
               "str = ''''That,' she said, 'is still pointless.''''",
               "{\"quot15\":\"Here are fifteen quotation marks: "
               "\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\","
               "\"apos15\":\"Here are fifteen apostrophes: '''''''''''''''\","
               "\"str\":\"'That,' she said, 'is still pointless.'\"}");
    check_json("a = '''\\\n  b'''", "{\"a\":\"\\\\\\n  b\"}"); /* no escapes in literals */
    check_json("a = '''x\r\ny'''", "{\"a\":\"x\\ny\"}");       /* CRLF becomes LF */
    check_json("a = 'tab\there'", "{\"a\":\"tab\\there\"}");
}

static void keys(void **state)
{
    (void)state;
    check_json("key = 1\nbare_key = 2\nbare-key = 3\n1234 = 4\nABC = 5\n-_- = 6",
               "{\"key\":1,\"bare_key\":2,\"bare-key\":3,\"1234\":4,\"ABC\":5,\"-_-\":6}");
    check_json("\"127.0.0.1\" = 1\n\"character encoding\" = 2\n\"\xca\x8e\xc7\x9d\xca\x9e\" = 3\n"
               "'key2' = 4\n'quoted \"value\"' = 5",
               "{\"127.0.0.1\":1,\"character encoding\":2,\"\xca\x8e\xc7\x9d\xca\x9e\":3,"
               "\"key2\":4,\"quoted \\\"value\\\"\":5}");
    check_json("\"\" = \"blank\"", "{\"\":\"blank\"}");
    check_json("'' = 'blank'", "{\"\":\"blank\"}");
    check_json("\"\\u0061\\tb\" = 1", "{\"a\\tb\":1}");
    check_json("name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\n"
               "site.\"google.com\" = true",
               "{\"name\":\"Orange\",\"physical\":{\"color\":\"orange\",\"shape\":\"round\"},"
               "\"site\":{\"google.com\":true}}");
    check_json("fruit.name = \"banana\"\nfruit. color = \"yellow\"\nfruit . flavor = \"banana\"\n"
               "fruit\t.\t'x y' = 1",
               "{\"fruit\":{\"name\":\"banana\",\"color\":\"yellow\",\"flavor\":\"banana\","
               "\"x y\":1}}");
    check_json("3.14159 = \"pi\"", "{\"3\":{\"14159\":\"pi\"}}");
    check_json("true = 1\nfalse = 2\ninf = 3\nnan = 4", /* words are bare keys too */
               "{\"true\":1,\"false\":2,\"inf\":3,\"nan\":4}");
    check_json("a = 1\nA = 2", "{\"a\":1,\"A\":2}"); /* case-sensitive */
    /* defining the sub-keys of a dotted table out of order is valid (if discouraged) */
    check_json("apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\n"
               "orange.skin = \"thick\"",
               "{\"apple\":{\"type\":\"fruit\",\"skin\":\"thin\"},"
               "\"orange\":{\"type\":\"fruit\",\"skin\":\"thick\"}}");
}

static void tables(void **state)
{
    (void)state;
    check_json("[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another\"\n"
               "key2 = 456",
               "{\"table-1\":{\"key1\":\"some string\",\"key2\":123},"
               "\"table-2\":{\"key1\":\"another\",\"key2\":456}}");
    check_json("[dog.\"tater.man\"]\ntype.name = \"pug\"",
               "{\"dog\":{\"tater.man\":{\"type\":{\"name\":\"pug\"}}}}");
    check_json("[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . \"\xca\x9e\" . 'l' ]",
               "{\"a\":{\"b\":{\"c\":{}}},\"d\":{\"e\":{\"f\":{}}},\"g\":{\"h\":{\"i\":{}}},"
               "\"j\":{\"\xca\x9e\":{\"l\":{}}}}");
    /* super-tables need not be declared, and may be declared afterwards */
    check_json("[x.y.z.w]\n\n[x]", "{\"x\":{\"y\":{\"z\":{\"w\":{}}}}}");
    check_json("[x.y.z.w]\na = 1\n[x]\nb = 2", "{\"x\":{\"y\":{\"z\":{\"w\":{\"a\":1}}},\"b\":2}}");
    check_json("[a.b]\nc = 1\n[a]\nd = 2", "{\"a\":{\"b\":{\"c\":1},\"d\":2}}");
    check_json("[a]\nd = 2\n[a.b]\nc = 1", "{\"a\":{\"d\":2,\"b\":{\"c\":1}}}");
    check_json("[a.b.c]\nz = 9\n[a]\nb.d = 1", /* a dotted key through an implicit table */
               "{\"a\":{\"b\":{\"c\":{\"z\":9},\"d\":1}}}");
    /* out of order tables */
    check_json("[fruit.apple]\n[animal]\n[fruit.orange]",
               "{\"fruit\":{\"apple\":{},\"orange\":{}},\"animal\":{}}");
    /* root keys before the first header */
    check_json("name = \"Fido\"\nbreed = \"pug\"\n\n[owner]\nname = \"Regina Dogman\"\n"
               "member_since = 1999-08-04",
               "{\"name\":\"Fido\",\"breed\":\"pug\",\"owner\":{\"name\":\"Regina Dogman\","
               "\"member_since\":\"1999-08-04\"}}");
    /* dotted keys make tables; a header may add sub-tables below them */
    check_json("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n"
               "[fruit.apple.texture]\nsmooth = true",
               "{\"fruit\":{\"apple\":{\"color\":\"red\",\"taste\":{\"sweet\":true},"
               "\"texture\":{\"smooth\":true}}}}");
    check_json("[product]\ntype = { name = \"Nail\" }", "{\"product\":{\"type\":{\"name\":\"Nail\"}}}");
    check_json("[a] # comment\n[b]\t\n[ c ] ", "{\"a\":{},\"b\":{},\"c\":{}}");
    check_json("[\"\"]\nx = 1\n[\"\".a]", "{\"\":{\"x\":1,\"a\":{}}}");
}

static void arrays_of_tables(void **state)
{
    (void)state;
    check_json("[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty\n\n"
               "[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = \"gray\"",
               "{\"products\":[{\"name\":\"Hammer\",\"sku\":738594937},{},"
               "{\"name\":\"Nail\",\"sku\":284758393,\"color\":\"gray\"}]}");
    check_json("[[fruits]]\nname = \"apple\"\n\n[fruits.physical]  # subtable\ncolor = \"red\"\n"
               "shape = \"round\"\n\n[[fruits.varieties]]  # nested array of tables\n"
               "name = \"red delicious\"\n\n[[fruits.varieties]]\nname = \"granny smith\"\n\n\n"
               "[[fruits]]\nname = \"banana\"\n\n[[fruits.varieties]]\nname = \"plantain\"",
               "{\"fruits\":[{\"name\":\"apple\",\"physical\":{\"color\":\"red\",\"shape\":"
               "\"round\"},\"varieties\":[{\"name\":\"red delicious\"},{\"name\":\"granny smith\"}]},"
               "{\"name\":\"banana\",\"varieties\":[{\"name\":\"plantain\"}]}]}");
    /* [[a.b]] before [a] exists makes a an implicit table */
    check_json("[[albums.songs]]\nname = \"Glory Days\"\n[albums]\nname = \"Born in the USA\"",
               "{\"albums\":{\"songs\":[{\"name\":\"Glory Days\"}],\"name\":\"Born in the USA\"}}");
    /* tables in every element may have the same names */
    check_json("[[a]]\n[a.b]\nx = 1\n[[a]]\n[a.b]\nx = 2",
               "{\"a\":[{\"b\":{\"x\":1}},{\"b\":{\"x\":2}}]}");
    check_json("[[a]]\nb.c = 1\n[[a]]\nb.c = 2", "{\"a\":[{\"b\":{\"c\":1}},{\"b\":{\"c\":2}}]}");
    check_json("[[ a . b ]]\n[[a.b]]", "{\"a\":{\"b\":[{},{}]}}");
    check_json("[[a]]\n[[a.b]]\n[[a.b]]\n[[a]]\n[[a.b]]",
               "{\"a\":[{\"b\":[{},{}]},{\"b\":[{}]}]}");
    /* an array of inline tables is a static array */
    check_json("points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n"
               "           { x = 2, y = 4, z = 8 } ]",
               "{\"points\":[{\"x\":1,\"y\":2,\"z\":3},{\"x\":7,\"y\":8,\"z\":9},"
               "{\"x\":2,\"y\":4,\"z\":8}]}");
}

static void arrays(void **state)
{
    (void)state;
    check_json("integers = [ 1, 2, 3 ]\ncolors = [ \"red\", \"yellow\", \"green\" ]\n"
               "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
               "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
               "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]",
               "{\"integers\":[1,2,3],\"colors\":[\"red\",\"yellow\",\"green\"],"
               "\"nested_arrays_of_ints\":[[1,2],[3,4,5]],"
               "\"nested_mixed_array\":[[1,2],[\"a\",\"b\",\"c\"]],"
               "\"string_array\":[\"all\",\"strings\",\"are the same\",\"type\"]}");
    check_json("numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\n"
               "contributors = [\n  \"Foo Bar <foo@example.com>\",\n"
               "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" }\n]",
               "{\"numbers\":[0.1,0.2,0.5,1,2,5],\"contributors\":[\"Foo Bar <foo@example.com>\","
               "{\"name\":\"Baz Qux\",\"email\":\"bazqux@example.com\","
               "\"url\":\"https://example.com/bazqux\"}]}");
    check_json("integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]",
               "{\"integers2\":[1,2,3],\"integers3\":[1,2]}");
    check_json("a = []\nb = [ ]\nc = [\n]\nd = [ # c\n ]\ne = [[]]\nf = [[],[[]]]",
               "{\"a\":[],\"b\":[],\"c\":[],\"d\":[],\"e\":[[]],\"f\":[[],[[]]]}");
    check_json("a = [1,2,]\nb = [1\n,\n2\n,\n]\nc=[1,2]", "{\"a\":[1,2],\"b\":[1,2],\"c\":[1,2]}");
    check_json("a = [\r\n 1, # x\r\n 2\r\n]", "{\"a\":[1,2]}");
    check_json("a = [ 1979-05-27, 07:32:00, 1979-05-27T07:32:00, 1979-05-27 07:32:00Z, true, 1.5 ]",
               "{\"a\":[\"1979-05-27\",\"07:32:00\",\"1979-05-27T07:32:00\","
               "\"1979-05-27T07:32:00+00:00\",true,1.5]}");
    check_json("a = [\"]\", ']', \"#\", ',']", "{\"a\":[\"]\",\"]\",\"#\",\",\"]}");
}

static void inline_tables(void **state)
{
    (void)state;
    check_json("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
               "point = { x = 1, y = 2 }\nanimal = { type.name = \"pug\" }",
               "{\"name\":{\"first\":\"Tom\",\"last\":\"Preston-Werner\"},"
               "\"point\":{\"x\":1,\"y\":2},\"animal\":{\"type\":{\"name\":\"pug\"}}}");
    check_json("a = {}\nb = { }\nc = {d={e={}}}\nf={g=1,h=[1,2],i={j='k'}}",
               "{\"a\":{},\"b\":{},\"c\":{\"d\":{\"e\":{}}},"
               "\"f\":{\"g\":1,\"h\":[1,2],\"i\":{\"j\":\"k\"}}}");
    check_json("a = { b.c = 1, b.d = 2, e = 3 }", "{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3}}");
    /* values inside may span lines: arrays and multi-line strings */
    check_json("a = { b = [\n 1,\n 2 # c\n], c = \"\"\"x\ny\"\"\" }",
               "{\"a\":{\"b\":[1,2],\"c\":\"x\\ny\"}}");
    check_json("[t]\na = {x = 1}\nb.c = {y = 2}", "{\"t\":{\"a\":{\"x\":1},\"b\":{\"c\":{\"y\":2}}}}");
    check_json("a = [{b = 1}, {b = 2, c = {d = true}}]",
               "{\"a\":[{\"b\":1},{\"b\":2,\"c\":{\"d\":true}}]}");
}

static void dates_and_times(void **state)
{
    (void)state;
    check_json("odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\n"
               "odt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z",
               "{\"odt1\":\"1979-05-27T07:32:00+00:00\",\"odt2\":\"1979-05-27T07:32:00+00:00\","
               "\"odt3\":\"1979-05-27T07:32:00.999999+00:00\",\"odt4\":\"1979-05-27T07:32:00+00:00\"}");
    check_json("ldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27T00:32:00.999999\n"
               "ld1 = 1979-05-27\nlt1 = 07:32:00\nlt2 = 00:32:00.999999",
               "{\"ldt1\":\"1979-05-27T07:32:00\",\"ldt2\":\"1979-05-27T00:32:00.999999\","
               "\"ld1\":\"1979-05-27\",\"lt1\":\"07:32:00\",\"lt2\":\"00:32:00.999999\"}");
    /* lower-case t and z (RFC 3339), offsets that change the day, +00:00 */
    check_json("a = 1987-07-05t17:45:00z\nb = 1987-07-05T23:30:00-01:00\nc = 1987-07-05T00:30:00+05:30\n"
               "d = 1987-07-05T17:45:00+00:00\ne = 1987-07-05T17:45:00-00:00",
               "{\"a\":\"1987-07-05T17:45:00+00:00\",\"b\":\"1987-07-06T00:30:00+00:00\","
               "\"c\":\"1987-07-04T19:00:00+00:00\",\"d\":\"1987-07-05T17:45:00+00:00\","
               "\"e\":\"1987-07-05T17:45:00+00:00\"}");
    /* fractions: microseconds kept, more digits truncated (not rounded) */
    check_json("a = 1979-05-27T07:32:00.1Z\nb = 1979-05-27T07:32:00.123456789Z\n"
               "c = 07:32:00.9999999\nd = 1979-05-27T07:32:00.000001\ne = 23:59:59.5",
               "{\"a\":\"1979-05-27T07:32:00.100000+00:00\","
               "\"b\":\"1979-05-27T07:32:00.123456+00:00\",\"c\":\"07:32:00.999999\","
               "\"d\":\"1979-05-27T07:32:00.000001\",\"e\":\"23:59:59.500000\"}");
    /* calendar edges */
    check_json("a = 2000-02-29\nb = 2024-02-29\nc = 0001-01-01\nd = 9999-12-31\n"
               "e = 1970-01-01T00:00:00Z\nf = 9999-12-31T23:59:59.999999Z\ng = 0001-01-01T00:00:00Z",
               "{\"a\":\"2000-02-29\",\"b\":\"2024-02-29\",\"c\":\"0001-01-01\","
               "\"d\":\"9999-12-31\",\"e\":\"1970-01-01T00:00:00+00:00\","
               "\"f\":\"9999-12-31T23:59:59.999999+00:00\",\"g\":\"0001-01-01T00:00:00+00:00\"}");
    /* a date followed by a comment is a date, not a date-time */
    check_json("d = 1979-05-27 # comment\nt = 1979-05-27 ", "{\"d\":\"1979-05-27\",\"t\":\"1979-05-27\"}");

    /* the values themselves */
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v;
    const char *doc = "a = 1970-01-01T01:00:00+01:00\nb = 1970-01-02T00:00:00\nc = 1970-01-11\n"
                      "d = 00:00:01.25";
    assert_int_equal(dltc__toml_parse(&a, doc, strlen(doc), NULL, 0, &v, NULL), 0);
    assert_int_equal(v->u.obj[0].val.type, DLTC_TYPE_TIMESTAMP);
    assert_int_equal(v->u.obj[0].val.u.i, 0);
    assert_int_equal(v->u.obj[0].val.flags, DLTC_VF_TZ);
    assert_int_equal(v->u.obj[1].val.type, DLTC_TYPE_TIMESTAMP);
    assert_int_equal(v->u.obj[1].val.u.i, 86400LL * 1000000);
    assert_int_equal(v->u.obj[1].val.flags, 0);
    assert_int_equal(v->u.obj[2].val.type, DLTC_TYPE_DATE);
    assert_int_equal(v->u.obj[2].val.u.i, 10);
    assert_int_equal(v->u.obj[3].val.type, DLTC_TYPE_TIME);
    assert_int_equal(v->u.obj[3].val.u.i, 1250000);
    dltc__arena_free(&a);
}

/* The example document of toml.io. */
static void spec_example(void **state)
{
    (void)state;
    check_json("# This is a TOML document\n\ntitle = \"TOML Example\"\n\n[owner]\n"
               "name = \"Tom Preston-Werner\"\ndob = 1979-05-27T07:32:00-08:00\n\n[database]\n"
               "enabled = true\nports = [ 8000, 8001, 8002 ]\n"
               "data = [ [\"delta\", \"phi\"], [3.14] ]\ntemp_targets = { cpu = 79.5, case = 72.0 }\n\n"
               "[servers]\n\n[servers.alpha]\nip = \"10.0.0.1\"\nrole = \"frontend\"\n\n"
               "[servers.beta]\nip = \"10.0.0.2\"\nrole = \"backend\"\n",
               "{\"title\":\"TOML Example\",\"owner\":{\"name\":\"Tom Preston-Werner\","
               "\"dob\":\"1979-05-27T15:32:00+00:00\"},\"database\":{\"enabled\":true,"
               "\"ports\":[8000,8001,8002],\"data\":[[\"delta\",\"phi\"],[3.14]],"
               "\"temp_targets\":{\"cpu\":79.5,\"case\":72.0}},\"servers\":{\"alpha\":{"
               "\"ip\":\"10.0.0.1\",\"role\":\"frontend\"},\"beta\":{\"ip\":\"10.0.0.2\","
               "\"role\":\"backend\"}}}");
}

/* Files as dlt users write them (.dlt/config.toml and .dlt/secrets.toml). */
static void dlt_config_files(void **state)
{
    (void)state;
    check_json("[sources.github]\nrepo_name = \"dlt-hub/dlt\"\n", 
               "{\"sources\":{\"github\":{\"repo_name\":\"dlt-hub/dlt\"}}}");
    check_json("# put your secret values and credentials here. do not share this file.\n"
               "[sources.github]\naccess_token = \"ghp_xxx\" # please set me up!\n\n"
               "[destination.postgres.credentials]\ndatabase = \"dlt_data\"\n"
               "password = \"<configure me>\"\nusername = \"loader\"\nhost = \"localhost\"\n"
               "port = 5432\nconnect_timeout = 15\n",
               "{\"sources\":{\"github\":{\"access_token\":\"ghp_xxx\"}},\"destination\":{"
               "\"postgres\":{\"credentials\":{\"database\":\"dlt_data\","
               "\"password\":\"<configure me>\",\"username\":\"loader\",\"host\":\"localhost\","
               "\"port\":5432,\"connect_timeout\":15}}}}");
    check_json("destination.postgres.credentials = \"postgresql://loader:pw@localhost:5432/dlt_data\"\n"
               "[runtime]\nlog_level = \"WARNING\"\ndlthub_telemetry = false\n"
               "[normalize.data_writer]\ndisable_compression = true\n"
               "[load]\nworkers = 4\n[extract]\nmax_parallel_items = 20\n",
               "{\"destination\":{\"postgres\":{\"credentials\":"
               "\"postgresql://loader:pw@localhost:5432/dlt_data\"}},"
               "\"runtime\":{\"log_level\":\"WARNING\",\"dlthub_telemetry\":false},"
               "\"normalize\":{\"data_writer\":{\"disable_compression\":true}},"
               "\"load\":{\"workers\":4},\"extract\":{\"max_parallel_items\":20}}");
    /* dotted keys and sections mixed, pipeline-scoped values */
    check_json("[destination]\npostgres.credentials.host = \"db\"\npostgres.credentials.port = 5433\n"
               "[chess_games.sources.chess]\nplayers = [\"magnuscarlsen\", \"rpragchess\"]\n"
               "start_month = \"2022/11\"\n[sources.sql_database.chat_message.incremental]\n"
               "cursor_path = \"updated_at\"\ninitial_value = 2024-01-01T00:00:00Z\n",
               "{\"destination\":{\"postgres\":{\"credentials\":{\"host\":\"db\",\"port\":5433}}},"
               "\"chess_games\":{\"sources\":{\"chess\":{\"players\":[\"magnuscarlsen\","
               "\"rpragchess\"],\"start_month\":\"2022/11\"}}},\"sources\":{\"sql_database\":{"
               "\"chat_message\":{\"incremental\":{\"cursor_path\":\"updated_at\","
               "\"initial_value\":\"2024-01-01T00:00:00+00:00\"}}}}}");
    /* a service-account JSON key pasted as a multi-line literal, and credentials as an
     * inline table */
    check_json("[destination.bigquery.credentials]\nproject_id = \"p\"\n"
               "private_key = '''-----BEGIN PRIVATE KEY-----\nMIIE\\n+abc\n-----END PRIVATE KEY-----\n'''\n"
               "[destination.motherduck]\ncredentials = { database = \"my_db\", password = \"tok\" }\n",
               "{\"destination\":{\"bigquery\":{\"credentials\":{\"project_id\":\"p\","
               "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIE\\\\n+abc\\n"
               "-----END PRIVATE KEY-----\\n\"}},\"motherduck\":{\"credentials\":{"
               "\"database\":\"my_db\",\"password\":\"tok\"}}}}");
}

static void crlf_and_bom(void **state)
{
    (void)state;
    check_json("a = 1\r\n[t]\r\nb = \"x\" # c\r\n\r\nc = [\r\n1,\r\n]\r\n", 
               "{\"a\":1,\"t\":{\"b\":\"x\",\"c\":[1]}}");
    check_json("\xef\xbb\xbf" "a = 1\n", "{\"a\":1}");
    check_json("\xef\xbb\xbf", "{}");
    /* columns on line 1 count from after the byte order mark */
    const char *msg = parse_error_n("\xef\xbb\xbf" "a = ?", 8, NULL);
    assert_string_equal(msg, "1:5: expected a value, found '?'");
    msg = parse_error_n("\xef\xbb\xbf" "a = 1\nb = ?", 14, NULL);
    assert_string_equal(msg, "2:5: expected a value, found '?'");
    /* CRLF lines are counted once */
    msg = parse_error_n("a = 1\r\nb = 2\r\nc = ?\r\n", 20, NULL);
    assert_string_equal(msg, "3:5: expected a value, found '?'");
}

/* ---- invalid documents ---- */

typedef struct {
    const char *toml;
    size_t len; /* 0: strlen */
    const char *error;
} invalid_case;

#define N(s) s, sizeof(s) - 1

static const invalid_case invalid_cases[] = {
    /* keys defined twice */
    {"a = 1\na = 2\n", 0, "2:1: duplicate key 'a'"},
    {"a.b = 1\na.b = 2\n", 0, "2:3: duplicate key 'a.b'"},
    {"a = 1\n\"a\" = 2\n", 0, "2:1: duplicate key 'a'"},
    {"'a b' = 1\n\"a b\" = 2\n", 0, "2:1: duplicate key '\"a b\"'"},
    {"\"\" = 1\n'' = 2\n", 0, "2:1: duplicate key '\"\"'"},
    {"[t]\nx = 1\n[u]\n[t]\n", 0, "4:2: table 't' is defined twice"},
    {"[a]\nb = 1\n[a]\nc = 2\n", 0, "3:2: table 'a' is defined twice"},
    {"[a.b]\n[a]\n[a]\n", 0, "3:2: table 'a' is defined twice"},
    {"[a]\nb = 1\n[a.b]\n", 0, "3:4: key 'a.b' is already an integer, not a table"},
    {"a = 1\n[a]\n", 0, "2:2: key 'a' is already an integer, not a table"},
    {"a = 'x'\n[a.b]\n", 0, "2:2: key 'a' is already a string, not a table"},
    {"a = 1979-05-27\n[a.b]\n", 0, "2:2: key 'a' is already a date, not a table"},
    {"a = 1\na.b = 2\n", 0, "2:1: key 'a' is already an integer, not a table"},
    {"a = [1]\na.b = 2\n", 0, "2:1: key 'a' is already an array, not a table"},
    {"[a.b]\n[a]\nb = 1\n", 0, "3:1: duplicate key 'b'"},
    /* dotted keys and headers */
    {"[fruit]\napple.color = 'red'\n[fruit.apple]\n", 0,
     "3:8: table 'fruit.apple' is already defined by dotted keys"},
    {"[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]\n", 0,
     "3:14: table 'fruit.apple.taste' is already defined by dotted keys"},
    {"a.b = 1\n[a]\n", 0, "2:2: table 'a' is already defined by dotted keys"},
    {"[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", 0,
     "4:3: dotted keys cannot extend table 'b.c' defined by a [header]"},
    {"[a.b.c]\n[a]\nb.x = 1\n[a.b]\n", 0, "4:4: table 'a.b' is already defined by dotted keys"},
    {"[[a.b]]\n[a]\nb.y = 2\n", 0, "3:1: dotted keys cannot extend array of tables 'b'"},
    /* inline tables are immutable */
    {"[product]\ntype = { name = 'Nail' }\ntype.edible = false\n", 0,
     "3:1: inline table 'type' cannot be extended"},
    {"[product]\ntype.name = 'Nail'\ntype = { edible = false }\n", 0,
     "3:1: duplicate key 'type'"},
    {"a = {}\n[a.b]\n", 0, "2:2: inline table 'a' cannot be extended"},
    {"a = {}\n[a]\n", 0, "2:2: table 'a' is already defined as an inline table"},
    {"a = {b = {c = 1}, b.d = 2}\n", 0, "1:19: inline table 'b' cannot be extended"},
    {"a = {}\n[[a.b]]\n", 0, "2:3: inline table 'a' cannot be extended"},
    {"a = {b = 1, b = 2}\n", 0, "1:13: duplicate key 'b'"},
    {"a = {b.c = 1, b = 2}\n", 0, "1:15: duplicate key 'b'"},
    {"a = {b = 1,}\n", 0, "1:12: trailing comma in an inline table"},
    {"a = {b = 1,\nc = 2}\n", 0, "1:12: newline in an inline table"},
    {"a = {\n}\n", 0, "1:6: newline in an inline table"},
    {"a = {b = 1\n", 0, "1:11: newline in an inline table"},
    {"a = {b = 1", 0, "1:5: unterminated inline table"},
    {"a = {b = 1 # x\n}\n", 0, "1:12: expected ',' or '}' in an inline table, found '#'"},
    {"a = {b = 1 c = 2}\n", 0, "1:12: expected ',' or '}' in an inline table, found 'c'"},
    {"a = {,}\n", 0, "1:6: expected a key, found ','"},
    /* arrays of tables */
    {"fruits = []\n[[fruits]]\n", 0, "2:3: cannot append to statically defined array 'fruits'"},
    {"[a]\n[[a]]\n", 0, "2:3: key 'a' is already a table, not an array of tables"},
    {"[[fruits]]\n[[fruits.varieties]]\n[fruits.varieties]\n", 0,
     "3:9: key 'fruits.varieties' is already an array of tables, not a table"},
    {"[[fruits]]\n[fruits.physical]\n[[fruits.physical]]\n", 0,
     "3:10: key 'fruits.physical' is already a table, not an array of tables"},
    {"[[albums.songs]]\n[[albums]]\n", 0,
     "2:3: key 'albums' is already a table, not an array of tables"},
    {"a = [{ b = 1 }]\n[a.c]\n", 0, "2:2: key 'a' is already an array, not a table"},
    {"a = 1\n[[a]]\n", 0, "2:3: key 'a' is already an integer, not an array of tables"},
    {"[[a]]\n[a]\n", 0, "2:2: key 'a' is already an array of tables, not a table"},
    {"a.b = 1\n[[a]]\n", 0, "2:3: key 'a' is already a table, not an array of tables"},
    /* headers */
    {"[]\n", 0, "1:2: expected a key, found ']'"},
    {"[a\n", 0, "1:3: expected ']' after a table header, found newline"},
    {"[a", 0, "1:3: expected ']' after a table header, found end of file"},
    {"[[a]\n", 0, "1:5: expected ']]' after an array of tables header, found newline"},
    {"[ [a] ]\n", 0, "1:3: expected a key, found '['"},
    {"[a] b = 1\n", 0, "1:5: expected a newline after a table header, found 'b'"},
    {"[a]]\n", 0, "1:4: expected a newline after a table header, found ']'"},
    {"[a.]\n", 0, "1:4: expected a key after '.', found ']'"},
    {"[.a]\n", 0, "1:2: expected a key, found '.'"},
    {"[a b]\n", 0, "1:4: expected ']' after a table header, found 'b'"},
    {"[\"\"\"a\"\"\"]\n", 0, "1:2: a key cannot be a multi-line string"},
    /* key/value syntax */
    {"a =\n", 0, "1:4: expected a value, found newline"},
    {"a = ", 0, "1:5: expected a value, found end of file"},
    {"a 1\n", 0, "1:3: expected '=' after a key, found '1'"},
    {"a\n", 0, "1:2: expected '=' after a key, found newline"},
    {"a = 1 2\n", 0, "1:7: expected a newline after a value, found '2'"},
    {"a = 1 b = 2\n", 0, "1:7: expected a newline after a value, found 'b'"},
    {"= 1\n", 0, "1:1: expected a key, found '='"},
    {"a. = 1\n", 0, "1:4: expected a key after '.', found '='"},
    {"a..b = 1\n", 0, "1:3: expected a key after '.', found '.'"},
    {"\"\"\"a\"\"\" = 1\n", 0, "1:1: a key cannot be a multi-line string"},
    {"\xc3\xa9 = 1\n", 0, "1:1: expected a key, found '\xc3\xa9' (U+00E9)"},
    {"a = 1\n\xef\xbb\xbf" "b = 2\n", 0, "2:1: expected a key, found '\xef\xbb\xbf' (U+FEFF)"},
    {"a = @\n", 0, "1:5: expected a value, found '@'"},
    {"a = hello\n", 0, "1:5: invalid value 'hello' (strings must be quoted)"},
    {"a = True\n", 0, "1:5: invalid value 'True' (strings must be quoted)"},
    {"a = truex\n", 0, "1:5: invalid value 'truex' (strings must be quoted)"},
    {"a = Inf\n", 0, "1:5: invalid value 'Inf' (strings must be quoted)"},
    {"a = -infinity\n", 0, "1:5: invalid value '-infinity' (strings must be quoted)"},
    /* strings */
    {"a = \"\\x41\"\n", 0, "1:6: invalid escape sequence '\\x'"},
    {"a = \"\\e\"\n", 0, "1:6: invalid escape sequence '\\e'"},
    {"a = \"a\\ b\"\n", 0, "1:7: invalid escape sequence: '\\' followed by ' '"},
    {"a = \"a\\\nb\"\n", 0, "1:7: invalid escape sequence: '\\' followed by newline"},
    {"a = \"\\u12\"\n", 0, "1:6: \\u escape needs 4 hex digits"},
    {"a = \"\\U0001F60\"\n", 0, "1:6: \\U escape needs 8 hex digits"},
    {"a = \"\\uD800\"\n", 0, "1:6: escape \\uD800 is not a Unicode scalar value"},
    {"a = \"\\uDFFF\"\n", 0, "1:6: escape \\uDFFF is not a Unicode scalar value"},
    {"a = \"\\U00110000\"\n", 0, "1:6: escape \\U00110000 is not a Unicode scalar value"},
    {"a = \"\"\"a\\ b\"\"\"\n", 0,
     "1:9: invalid escape: '\\' followed by whitespace must end the line"},
    {"a = \"abc\n", 0, "1:5: unterminated string"},
    {"a = \"abc", 0, "1:5: unterminated string"},
    {"a = \"abc\\", 0, "1:5: unterminated string"},
    {"a = 'abc\n", 0, "1:5: unterminated string"},
    {"a = \"\"\"abc\n", 0, "1:5: unterminated multi-line string"},
    {"a = '''abc\n''", 0, "1:5: unterminated multi-line string"},
    {"a = \"\"\"x\"\"\"\"\"\"\n", 0, "1:14: expected a newline after a value, found '\"'"},
    {"a = '''x''''''\n", 0, "1:14: expected a newline after a value, found '''"},
    {"a = \"a\x01" "b\"\n", 0, "1:7: control character U+0001 in string"},
    {"a = 'a\x7f" "b'\n", 0, "1:7: control character U+007F in string"},
    {N("a = \"\"\"a\0b\"\"\"\n"), "1:9: control character U+0000 in multi-line string"},
    {"a = \"\"\"a\x1f" "b\"\"\"\n", 0, "1:9: control character U+001F in multi-line string"},
    {"a = '''a\rb'''\n", 0, "1:9: carriage return without a line feed in multi-line string"},
    {"a = \"a\rb\"\n", 0, "1:7: carriage return without a line feed in string"},
    {"a = \"\"\"a\\\rb\"\"\"\n", 0,
     "1:10: carriage return without a line feed in multi-line string"},
    /* comments, newlines, encoding */
    {"# a\x01" "b\n", 0, "1:4: control character U+0001 in comment"},
    {"a = 1 # \x7f\n", 0, "1:9: control character U+007F in comment"},
    {N("# a\0\n"), "1:4: control character U+0000 in comment"},
    {"a = 1\r", 0, "1:6: carriage return without a line feed"},
    {"a = 1\rb = 2\n", 0, "1:6: carriage return without a line feed"},
    {"\r", 0, "1:1: carriage return without a line feed"},
    {"# c\r", 0, "1:4: carriage return without a line feed in comment"},
    {"a = \"\xff\"\n", 0, "1:6: invalid UTF-8"},
    {"# \xc0\xaf\n", 0, "1:3: invalid UTF-8"},
    {"a = '\xed\xa0\x80'\n", 0, "1:6: invalid UTF-8"},
    {"a = 'x'\nb = '\xe2\x82'\n", 0, "2:6: invalid UTF-8"},
    {"a = 'x'\nb = '\xf4\x90\x80\x80'\n", 0, "2:6: invalid UTF-8"},
    {"\xfe\xff\x00#", 4, "1:1: invalid UTF-8"},
    /* integers */
    {"a = 01\n", 0, "1:5: leading zeros are not allowed"},
    {"a = -01\n", 0, "1:6: leading zeros are not allowed"},
    {"a = 0_0\n", 0, "1:5: leading zeros are not allowed"},
    {"a = 1__000\n", 0, "1:6: '_' must be between digits in a number"},
    {"a = 1_\n", 0, "1:6: '_' must be between digits in a number"},
    {"a = _1\n", 0, "1:5: '_' must be between digits in a number"},
    {"a = 9223372036854775808\n", 0, "1:5: integer out of range (int64)"},
    {"a = -9223372036854775809\n", 0, "1:5: integer out of range (int64)"},
    {"a = 99999999999999999999999\n", 0, "1:5: integer out of range (int64)"},
    {"a = 0x8000000000000000\n", 0, "1:5: integer out of range (int64)"},
    {"a = 0b1000000000000000000000000000000000000000000000000000000000000000\n", 0,
     "1:5: integer out of range (int64)"},
    {"a = +0x10\n", 0, "1:5: hexadecimal, octal and binary integers cannot have a sign"},
    {"a = -0o7\n", 0, "1:5: hexadecimal, octal and binary integers cannot have a sign"},
    {"a = 0X10\n", 0, "1:6: invalid character 'X' in a number"},
    {"a = 0xG\n", 0, "1:7: expected a digit in a hexadecimal integer, found 'G'"},
    {"a = 0o8\n", 0, "1:7: expected a digit in an octal integer, found '8'"},
    {"a = 0b102\n", 0, "1:9: invalid character '2' in a binary integer"},
    {"a = 0x\n", 0, "1:7: expected a digit in a hexadecimal integer, found end of value"},
    {"a = 0x_1\n", 0, "1:7: '_' must be between digits in a hexadecimal integer"},
    {"a = +\n", 0, "1:6: expected a digit in a number, found end of value"},
    {"a = 1-2\n", 0, "1:6: invalid character '-' in a number"},
    {"a = 12abc\n", 0, "1:7: invalid character 'a' in a number"},
    /* floats */
    {"a = 1.\n", 0, "1:7: expected a digit in the fraction, found end of value"},
    {"a = .5\n", 0, "1:5: a float needs digits before the '.'"},
    {"a = -.5\n", 0, "1:6: a float needs digits before the '.'"},
    {"a = 1e\n", 0, "1:7: expected a digit in the exponent, found end of value"},
    {"a = 1e+\n", 0, "1:8: expected a digit in the exponent, found end of value"},
    {"a = 1.e5\n", 0, "1:7: expected a digit in the fraction, found 'e'"},
    {"a = 1.2.3\n", 0, "1:8: invalid character '.' in a number"},
    {"a = 1_.5\n", 0, "1:6: '_' must be between digits in a number"},
    {"a = 1._5\n", 0, "1:7: '_' must be between digits in the fraction"},
    {"a = 1e_5\n", 0, "1:7: '_' must be between digits in the exponent"},
    {"a = 1.5_\n", 0, "1:8: '_' must be between digits in the fraction"},
    {"a = 00.5\n", 0, "1:5: leading zeros are not allowed"},
    {"a = 1e400\n", 0, "1:5: float out of range"},
    {"a = -1.8e308\n", 0, "1:5: float out of range"},
    {"a = NaN\n", 0, "1:5: invalid value 'NaN' (strings must be quoted)"},
    {"a = nan1\n", 0, "1:5: invalid value 'nan1' (strings must be quoted)"},
    /* dates and times */
    {"a = 2021-02-30\n", 0, "1:13: day 30 is out of range for 2021-02"},
    {"a = 2023-02-29\n", 0, "1:13: day 29 is out of range for 2023-02"},
    {"a = 1900-02-29\n", 0, "1:13: day 29 is out of range for 1900-02"},
    {"a = 2021-04-31T00:00:00Z\n", 0, "1:13: day 31 is out of range for 2021-04"},
    {"a = 2021-01-00\n", 0, "1:13: day 00 is out of range for 2021-01"},
    {"a = 2021-13-01\n", 0, "1:10: month must be 01..12"},
    {"a = 2021-00-01\n", 0, "1:10: month must be 01..12"},
    {"a = 2021-01-01T24:00:00\n", 0, "1:16: hour must be 00..23"},
    {"a = 12:60:00\n", 0, "1:8: minute must be 00..59"},
    {"a = 2016-12-31T23:59:60Z\n", 0, "1:22: second must be 00..59"},
    {"a = 2021-01-01T10:00\n", 0,
     "1:21: expected ':' and seconds (HH:MM:SS), found end of value"},
    {"a = 10:00\n", 0, "1:10: expected ':' and seconds (HH:MM:SS), found end of value"},
    {"a = 1979-05-27 07:32\n", 0,
     "1:21: expected ':' and seconds (HH:MM:SS), found end of value"},
    {"a = 10:00:00.\n", 0, "1:14: expected a digit after '.' in the seconds, found end of value"},
    {"a = 2021-01-01T10:00:00+0500\n", 0,
     "1:27: expected ':' in the offset (+HH:MM), found '0'"},
    {"a = 2021-01-01T10:00:00+05\n", 0,
     "1:27: expected ':' in the offset (+HH:MM), found end of value"},
    {"a = 2021-01-01T10:00:00+24:00\n", 0, "1:25: offset hour must be 00..23"},
    {"a = 2021-01-01T10:00:00-05:60\n", 0, "1:28: offset minute must be 00..59"},
    {"a = 2021-01-01T10:00:00ZZ\n", 0, "1:25: invalid character 'Z' in a date-time"},
    {"a = 10:00:00Z\n", 0, "1:13: a time without a date cannot have an offset"},
    {"a = 10:00:00+01:00\n", 0, "1:13: a time without a date cannot have an offset"},
    {"a = 0000-01-01\n", 0, "1:5: year must be 0001..9999"},
    {"a = 0001-01-01T00:00:00+01:00\n", 0,
     "1:5: date-time out of range (years 0001..9999 in UTC)"},
    {"a = 9999-12-31T23:00:00-01:00\n", 0,
     "1:5: date-time out of range (years 0001..9999 in UTC)"},
    {"a = 2021-1-01\n", 0, "1:11: expected a two-digit month, found '-'"},
    {"a = 2021-01-1\n", 0, "1:14: expected a two-digit day, found end of value"},
    {"a = 2021-01-01X\n", 0, "1:15: invalid character 'X' after a date"},
    {"a = 2021-01-01T\n", 0, "1:16: expected a two-digit hour, found end of value"},
    {"a = 2021-01-01T1:00:00\n", 0, "1:17: expected a two-digit hour, found ':'"},
    {"a = 1:00:00\n", 0, "1:6: invalid character ':' in a number"},
    /* arrays */
    {"a = [1 2]\n", 0, "1:8: expected ',' or ']' in an array, found '2'"},
    {"a = [,1]\n", 0, "1:6: expected a value, found ','"},
    {"a = [1,,2]\n", 0, "1:8: expected a value, found ','"},
    {"a = [,]\n", 0, "1:6: expected a value, found ','"},
    {"a = [1,\n2\n", 0, "1:5: unterminated array"},
    {"a = [", 0, "1:5: unterminated array"},
    {"a = [1] ]\n", 0, "1:9: expected a newline after a value, found ']'"},
    {"a = [# c\x01\n]\n", 0, "1:9: control character U+0001 in comment"},
    {"a = [1\r]\n", 0, "1:7: expected ',' or ']' in an array, found control character U+000D"},
};

static void invalid_documents(void **state)
{
    (void)state;
    size_t n = sizeof(invalid_cases) / sizeof(invalid_cases[0]);
    assert_true(n >= 60);
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        const invalid_case *t = &invalid_cases[i];
        size_t len = t->len ? t->len : strlen(t->toml);
        int code = 0;
        const char *msg = parse_error_n(t->toml, len, &code);
        if (!msg) {
            print_error("case %zu: accepted: %s\n", i, t->toml);
            failures++;
        } else if (strcmp(msg, t->error) != 0 || code != DLTC_EPARSE) {
            print_error("case %zu: %s\n  expected: %s\n  got:      %s (%d)\n", i, t->toml,
                        t->error, msg, code);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The name is the prefix of the last error; the error struct holds the position. */
static void error_reporting(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v = (dltc_value *)&a; /* must stay untouched */
    dltc_toml_error err;
    const char *doc = "[sources.github]\nrepo_name = \"dlt-hub/dlt\"\nrepo_name = 1\n";
    int rc = dltc__toml_parse(&a, doc, strlen(doc), ".dlt/secrets.toml", 0, &v, &err);
    assert_int_equal(rc, DLTC_EPARSE);
    assert_ptr_equal(v, (dltc_value *)&a);
    assert_int_equal(dltc_error_last()->code, DLTC_EPARSE);
    assert_string_equal(dltc_error_last()->message,
                        ".dlt/secrets.toml:3:1: duplicate key 'repo_name'");
    assert_int_equal(err.code, DLTC_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 1);
    assert_int_equal(err.offset, 43);
    assert_string_equal(err.reason, "duplicate key 'repo_name'");
    /* err may be NULL */
    rc = dltc__toml_parse(&a, "x", 1, "c.toml", 0, &v, NULL);
    assert_int_equal(rc, DLTC_EPARSE);
    assert_string_equal(dltc_error_last()->message,
                        "c.toml:1:2: expected '=' after a key, found end of file");
    /* a long key path is cut in the message, never in the middle of a character */
    char long_doc[1200];
    char header[500];
    int n = snprintf(header, sizeof(header), "[t");
    for (int i = 0; i < 30; i++)
        n += snprintf(header + n, sizeof(header) - (size_t)n, ".\"\xc3\xa9\xc3\xa9 x\"");
    snprintf(header + n, sizeof(header) - (size_t)n, "]\n");
    snprintf(long_doc, sizeof(long_doc), "%sk = 1\n%s", header, header);
    rc = dltc__toml_parse(&a, long_doc, strlen(long_doc), NULL, 0, &v, &err);
    assert_int_equal(rc, DLTC_EPARSE);
    assert_true(strlen(err.reason) < 120);
    assert_int_equal(dltc__utf8_check(err.reason, strlen(err.reason)), strlen(err.reason));
    assert_true(strncmp(err.reason, "table 't.\"\xc3\xa9\xc3\xa9 x\".", 14) == 0);
    assert_non_null(strstr(err.reason, "...' is defined twice"));
    snprintf(long_doc, sizeof(long_doc), "\"");
    for (int i = 0; i < 100; i++)
        strcat(long_doc, "\xc3\xa9");
    strcat(long_doc, "\" = 1\n\"");
    for (int i = 0; i < 100; i++)
        strcat(long_doc, "\xc3\xa9");
    strcat(long_doc, "\" = 2\n");
    rc = dltc__toml_parse(&a, long_doc, strlen(long_doc), NULL, 0, &v, &err);
    assert_int_equal(rc, DLTC_EPARSE);
    assert_true(strlen(err.reason) < 120);
    assert_int_equal(dltc__utf8_check(err.reason, strlen(err.reason)), strlen(err.reason));
    assert_non_null(strstr(err.reason, "...'"));
    /* a key with special characters is quoted in messages */
    doc = "\"a\\\"b\\u0001\".c = 1\n\"a\\\"b\\u0001\".c = 2\n";
    rc = dltc__toml_parse(&a, doc, strlen(doc), NULL, 0, &v, &err);
    assert_int_equal(rc, DLTC_EPARSE);
    assert_string_equal(err.reason, "duplicate key '\"a\\\"b\\u0001\".c'");
    dltc__arena_free(&a);
}

/* Keys keep the order in which they were first written, whatever the route. */
static void key_order(void **state)
{
    (void)state;
    check_json("z = 1\ny.x = 2\na = 3\n[m]\n[b.c]\n[b]\nq = 1\n[b.a]\n[[k]]\n[0]",
               "{\"z\":1,\"y\":{\"x\":2},\"a\":3,\"m\":{},\"b\":{\"c\":{},\"q\":1,\"a\":{}},"
               "\"k\":[{}],\"0\":{}}");
}

/* max_depth counts the tables and arrays below the root. */
static void depth_limit(void **state)
{
    (void)state;
    char doc[4096];
    dltc_arena a;
    dltc__arena_init(&a, 4096);
    dltc_value *v;
    dltc_toml_error err;
    /* arrays: 128 levels pass, 129 fail */
    for (int depth = 128; depth <= 129; depth++) {
        int n = snprintf(doc, sizeof(doc), "a = ");
        for (int i = 0; i < depth; i++)
            doc[n++] = '[';
        for (int i = 0; i < depth; i++)
            doc[n++] = ']';
        doc[n] = '\0';
        int rc = dltc__toml_parse(&a, doc, (size_t)n, NULL, 0, &v, &err);
        if (depth == 128) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, DLTC_ELIMIT);
            assert_string_equal(dltc_error_last()->message, "1:133: nesting deeper than 128 levels");
        }
    }
    /* inline tables, tables, dotted keys, and combinations count the same way */
    const char *cases[][2] = {
        {"a = {b = {c = [1]}}", "ok"},
        {"a = {b = {c = {d = {}}}}", "1:20: nesting deeper than 3 levels"},
        {"a.b.c.d = 1", "ok"},
        {"a.b.c.d.e = 1", "1:7: nesting deeper than 3 levels"},
        {"[a.b.c]", "ok"},
        {"[a.b.c.d]", "1:8: nesting deeper than 3 levels"},
        {"[a.b]\nc.d = 1", "ok"},
        {"[a.b]\nc.d.e = 1", "2:3: nesting deeper than 3 levels"},
        {"[a.b]\nc = [[1]]", "2:6: nesting deeper than 3 levels"},
        {"[[a]]\nb = 1", "ok"},
        {"[[a]]\nb = {c = 1}", "ok"},
        {"[[a]]\nb = [[1]]", "2:6: nesting deeper than 3 levels"},
        {"[[a.b]]", "ok"},
        {"[[a.b.c]]", "1:7: nesting deeper than 3 levels"},
        {"a.b.c.d.e.f = 1", "1:7: nesting deeper than 3 levels"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = dltc__toml_parse(&a, cases[i][0], strlen(cases[i][0]), NULL, 3, &v, &err);
        if (strcmp(cases[i][1], "ok") == 0) {
            if (rc)
                fail_msg("%s: %s", cases[i][0], dltc_error_last()->message);
        } else {
            assert_int_equal(rc, DLTC_ELIMIT);
            if (strcmp(dltc_error_last()->message, cases[i][1]) != 0)
                fail_msg("%s: expected %s, got %s", cases[i][0], cases[i][1],
                         dltc_error_last()->message);
        }
    }
    /* a very long dotted key is refused while it is read */
    dltc_buf b = DLTC_BUF_INIT;
    for (int i = 0; i < 100000; i++)
        dltc__buf_puts(&b, "k.");
    dltc__buf_puts(&b, "k = 1\n");
    assert_int_equal(dltc__toml_parse(&a, b.data, b.len, NULL, 0, &v, &err), DLTC_ELIMIT);
    assert_int_equal(err.column, 2 * 128 + 1); /* the 129th table */
    /* a very deep array fails at the limit, not by exhausting the stack */
    dltc__buf_clear(&b);
    dltc__buf_puts(&b, "a = ");
    for (int i = 0; i < 1000000; i++)
        dltc__buf_putc(&b, '[');
    assert_int_equal(dltc__toml_parse(&a, b.data, b.len, NULL, 0, &v, &err), DLTC_ELIMIT);
    dltc__buf_free(&b);
    dltc__arena_free(&a);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Shapes that would be quadratic with a linear key search or rescans: many keys in one
 * table, many tables, many array-of-table elements, long strings. Each parses in well
 * under a second (the bound is loose for sanitizer builds). */
static void large_documents(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 1 << 20);
    dltc_value *v;
    dltc_toml_error err;
    dltc_buf b = DLTC_BUF_INIT;
    for (int shape = 0; shape < 5; shape++) {
        dltc__buf_clear(&b);
        for (int i = 0; i < 100000; i++) {
            switch (shape) {
            case 0: dltc__buf_printf(&b, "key_%d = %d\n", i, i); break;
            case 1: dltc__buf_printf(&b, "[t%d.s]\nk = 1\n", i); break;
            case 2: dltc__buf_printf(&b, "[[a]]\nk = %d\n", i); break;
            case 3: dltc__buf_printf(&b, "t.k%d = [%d, {x = 'y'}]\n", i, i); break;
            default: dltc__buf_printf(&b, "s%d = \"\"\"%s\\\n  \"\"\"\n", i, "0123456789"); break;
            }
        }
        double t0 = now_s();
        int rc = dltc__toml_parse(&a, b.data, b.len, NULL, 0, &v, &err);
        double dt = now_s() - t0;
        if (rc)
            fail_msg("shape %d: %s", shape, dltc_error_last()->message);
        assert_true(dt < 10.0);
        switch (shape) {
        case 0: assert_int_equal(v->len, 100000); break;
        case 1: assert_int_equal(v->len, 100000); break;
        case 2: assert_int_equal(v->u.obj[0].val.len, 100000); break;
        case 3: assert_int_equal(v->u.obj[0].val.len, 100000); break;
        default: assert_int_equal(v->len, 100000); break;
        }
        dltc__arena_reset(&a);
    }
    /* one long string */
    dltc__buf_clear(&b);
    dltc__buf_puts(&b, "s = '");
    for (int i = 0; i < 1000000; i++)
        dltc__buf_putc(&b, 'x');
    dltc__buf_puts(&b, "'");
    assert_int_equal(dltc__toml_parse(&a, b.data, b.len, NULL, 0, &v, &err), 0);
    assert_int_equal(v->u.obj[0].val.len, 1000000);
    dltc__buf_free(&b);
    dltc__arena_free(&a);
}

static void arena_limit(void **state)
{
    (void)state;
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    a.limit = 4096;
    dltc_buf b = DLTC_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        dltc__buf_printf(&b, "k%d = 'value %d'\n", i, i);
    dltc_value *v;
    dltc_toml_error err;
    assert_int_equal(dltc__toml_parse(&a, b.data, b.len, "big.toml", 0, &v, &err), DLTC_ELIMIT);
    assert_int_equal(err.code, DLTC_ELIMIT);
    assert_non_null(strstr(dltc_error_last()->message, "big.toml:"));
    assert_non_null(strstr(dltc_error_last()->message, "arena limit of 4096 bytes exceeded"));
    dltc__buf_free(&b);
    dltc__arena_free(&a);
}

/* ---- allocation failures ---- */

static long g_allocs, g_fail_at;

static void *fail_malloc(size_t n, void *p)
{
    (void)p;
    if (++g_allocs == g_fail_at)
        return NULL;
    return malloc(n);
}

static void *fail_realloc(void *ptr, size_t n, void *p)
{
    (void)p;
    if (++g_allocs == g_fail_at)
        return NULL;
    return realloc(ptr, n);
}

static void plain_free(void *ptr, void *p)
{
    (void)p;
    free(ptr);
}

static void allocation_failures(void **state)
{
    (void)state;
    dltc_allocator failing = {fail_malloc, fail_realloc, plain_free, NULL};
    dltc_buf b = DLTC_BUF_INIT;
    dltc__buf_puts(&b, "title = \"t\\u00e9st\"\n[a.b]\nx = [1, 2.5, {y = 'z'}]\n[[c]]\nd.e = 1\n");
    for (int i = 0; i < 100; i++)
        dltc__buf_printf(&b, "k%d = \"\"\"v%d\"\"\"\n", i, i);
    char *expected = toml_to_json_n(b.data, b.len);
    int succeeded = 0;
    for (g_fail_at = 1; !succeeded; g_fail_at++) {
        g_allocs = 0;
        dltc_allocator_set(&failing);
        dltc_arena a;
        dltc__arena_init(&a, 256);
        dltc_value *v;
        dltc_toml_error err;
        int rc = dltc__toml_parse(&a, b.data, b.len, "f.toml", 0, &v, &err);
        if (rc == 0) {
            succeeded = 1;
            dltc_allocator_set(NULL);
            dltc_buf o = DLTC_BUF_INIT;
            assert_int_equal(dltc__json_write(&o, v), 0);
            assert_string_equal(o.data, expected);
            dltc__buf_free(&o);
        } else {
            dltc_allocator_set(NULL);
            assert_int_equal(rc, DLTC_ENOMEM);
            assert_int_equal(err.code, DLTC_ENOMEM);
            assert_non_null(strstr(dltc_error_last()->message, "out of memory"));
        }
        dltc__arena_free(&a);
        assert_true(g_fail_at < 100000);
    }
    free(expected);
    dltc__buf_free(&b);
}

/* ---- files ---- */

static void parse_file(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    char path[1024];
    dltc_arena a;
    dltc__arena_init(&a, 1024);
    dltc_value *v = NULL;
    dltc_toml_error err;

    snprintf(path, sizeof(path), "%s/missing.toml", dir);
    assert_int_equal(dltc__toml_parse_file(&a, path, 0, 0, &v, &err), DLTC_ENOTFOUND);

    snprintf(path, sizeof(path), "%s/config.toml", dir);
    const char *doc = "[runtime]\nlog_level = \"INFO\"\n";
    assert_int_equal(tu_write_file(path, doc, strlen(doc)), 0);
    assert_int_equal(dltc__toml_parse_file(&a, path, 0, 0, &v, &err), 0);
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__json_write(&b, v), 0);
    assert_string_equal(b.data, "{\"runtime\":{\"log_level\":\"INFO\"}}");
    dltc__buf_free(&b);
    assert_int_equal(dltc__toml_parse_file(&a, path, 10, 0, &v, &err), DLTC_ELIMIT);

    snprintf(path, sizeof(path), "%s/secrets.toml", dir);
    doc = "[destination.postgres.credentials]\npassword = secret\n";
    assert_int_equal(tu_write_file(path, doc, strlen(doc)), 0);
    assert_int_equal(dltc__toml_parse_file(&a, path, 0, 0, &v, &err), DLTC_EPARSE);
    char want[1200];
    snprintf(want, sizeof(want), "%s:2:12: invalid value 'secret' (strings must be quoted)", path);
    assert_string_equal(dltc_error_last()->message, want);

    assert_int_equal(dltc__toml_parse_file(&a, dir, 0, 0, &v, &err), DLTC_EIO);
    dltc__arena_free(&a);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_documents),
        cmocka_unit_test(integers),
        cmocka_unit_test(floats),
        cmocka_unit_test(booleans),
        cmocka_unit_test(basic_strings),
        cmocka_unit_test(multiline_basic_strings),
        cmocka_unit_test(literal_strings),
        cmocka_unit_test(keys),
        cmocka_unit_test(tables),
        cmocka_unit_test(arrays_of_tables),
        cmocka_unit_test(arrays),
        cmocka_unit_test(inline_tables),
        cmocka_unit_test(dates_and_times),
        cmocka_unit_test(spec_example),
        cmocka_unit_test(dlt_config_files),
        cmocka_unit_test(crlf_and_bom),
        cmocka_unit_test(invalid_documents),
        cmocka_unit_test(error_reporting),
        cmocka_unit_test(key_order),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(large_documents),
        cmocka_unit_test(arena_limit),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(parse_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
