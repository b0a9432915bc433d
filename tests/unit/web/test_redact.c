/* Secrets out of the dashboard's answers (src/web/redact.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "web/web.h"

static char *text(const char *s)
{
    static char out[4096];
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__web_redact_text(&b, s, strlen(s)), 0);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.data ? b.data : "", b.len + 1);
    dltc__buf_free(&b);
    return out;
}

static char *json(const char *s)
{
    static char out[4096];
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__web_redact_json(&b, s, strlen(s)), 0);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.data, b.len + 1);
    dltc__buf_free(&b);
    return out;
}

static void secret_keys(void **state)
{
    (void)state;
    const char *yes[] = {"password", "PASSWORD", "db_password", "passwd", "pwd", "db_pwd",
                         "secret", "client_secret", "aws_secret_access_key", "token",
                         "access_token", "refreshToken", "api_key", "apiKey", "api-key",
                         "credentials", "private_key", "privateKey", "access_key",
                         "Authorization", "auth", "session_id", "cookie", NULL};
    const char *no[] = {"name", "host", "port", "username", "user", "database", "dataset_name",
                        "pipeline_name", "author", "keyboard", "state", "", NULL};
    for (size_t i = 0; yes[i]; i++)
        if (!dltc__web_secret_key(yes[i], strlen(yes[i])))
            fail_msg("%s is a secret key", yes[i]);
    for (size_t i = 0; no[i]; i++)
        if (dltc__web_secret_key(no[i], strlen(no[i])))
            fail_msg("%s is not a secret key", no[i]);
}

static void urls(void **state)
{
    (void)state;
    assert_string_equal(text("postgresql://loader:loader-pw-123@127.0.0.1:5432/db"),
                        "postgresql://loader:***@127.0.0.1:5432/db");
    assert_string_equal(text("connect to postgres://u:p%40ss@host/db failed"),
                        "connect to postgres://u:***@host/db failed");
    assert_string_equal(text("postgresql://loader:***@127.0.0.1:5432/db"),
                        "postgresql://loader:***@127.0.0.1:5432/db");
    assert_string_equal(text("duckdb:////tmp/x.duckdb"), "duckdb:////tmp/x.duckdb");
    assert_string_equal(text("https://user@github.com/x"), "https://user@github.com/x");
    assert_string_equal(text("https://api.example.com/a?page=2&token=abc123&x=1"),
                        "https://api.example.com/a?page=2&token=***&x=1");
    assert_string_equal(text("s3://KEY:SECRET@bucket/path and ftp://a:b@c"),
                        "s3://KEY:***@bucket/path and ftp://a:***@c");
    /* the password may hold '@': everything up to the last '@' of the authority */
    assert_string_equal(text("postgresql://u:a@b@host/db"), "postgresql://u:***@host/db");
    assert_string_equal(text("://"), "://");
    assert_string_equal(text("x://:@"), "x://:***@");
}

static void pairs(void **state)
{
    (void)state;
    assert_string_equal(text("host=db password=hunter2 user=x"), "host=db password=*** user=x");
    assert_string_equal(text("password: hunter2 is bad"), "password: ***");
    assert_string_equal(text("\"api_key\": \"abc\", \"n\": 1"), "\"api_key\": \"***\", \"n\": 1");
    assert_string_equal(text("token='a b c' rest"), "token='***' rest");
    assert_string_equal(text("no secrets here: name=x"), "no secrets here: name=x");
    assert_string_equal(text("password="), "password=");
    assert_string_equal(text("password"), "password");
    assert_string_equal(text(""), "");
}

static void documents(void **state)
{
    (void)state;
    assert_string_equal(json("{\"a\":1,\"password\":\"x\",\"nested\":{\"api_key\":\"k\",\"ok\":true}}"),
                        "{\"a\":1,\"password\":\"***\",\"nested\":{\"api_key\":\"***\",\"ok\":true}}");
    assert_string_equal(json("{\"credentials\":{\"user\":\"u\",\"password\":\"p\"}}"),
                        "{\"credentials\":\"***\"}");
    assert_string_equal(json("{\"token\":null,\"secret\":123}"), "{\"token\":null,\"secret\":\"***\"}");
    assert_string_equal(json("[{\"dsn\":\"postgresql://a:b@h/d\"},\"mysql://r:s@h\"]"),
                        "[{\"dsn\":\"postgresql://a:***@h/d\"},\"mysql://r:***@h\"]");
    assert_string_equal(json("{\"pipeline_name\":\"dash\",\"sources\":{}}"),
                        "{\"pipeline_name\":\"dash\",\"sources\":{}}");
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__web_redact_json(&b, "{bad", 4), DLTC_EPARSE);
    assert_int_equal(b.len, 0);
    /* deeper than the limit: refused, nothing appended */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_true(dltc__web_redact_json(&b, deep, sizeof(deep)) != 0);
    assert_int_equal(b.len, 0);
    dltc__buf_free(&b);
}

static void error_answers(void **state)
{
    (void)state;
    dltc_buf b = DLTC_BUF_INIT;
    assert_int_equal(dltc__web_api_error(&b, 400, "connection to postgresql://u:pw@h/d failed"), 400);
    assert_string_equal(b.data, "{\"error\":\"connection to postgresql://u:***@h/d failed\"}");
    dltc__buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secret_keys), cmocka_unit_test(urls),
        cmocka_unit_test(pairs),       cmocka_unit_test(documents),
        cmocka_unit_test(error_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
