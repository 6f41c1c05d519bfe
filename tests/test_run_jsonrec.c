/* test_run_jsonrec.c - JSON records: float32 values printed as the
 * shortest decimal that reads back as the same float, and strings that are
 * always valid UTF-8 (so every events.jsonl line parses). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "run/jsonrec.h"

static char *print_number(float v)
{
    cJSON *n = jrec_f32(v);
    char *s = cJSON_PrintUnformatted(n);
    cJSON_Delete(n);
    return s;
}

static void test_run_jsonrec_f32_as_written(void **state)
{
    (void)state;
    const struct {
        float v;
        const char *want;
    } cases[] = {{0.001f, "0.001"}, {0.1f, "0.1"}, {0.9f, "0.9"}, {0.999f, "0.999"}, {1e-8f, "1e-08"},
                 {3e-4f, "0.0003"}, {1.0f, "1"}, {-2.5f, "-2.5"}, {0.0f, "0"}, {16777216.0f, "16777216"},
                 {3.4028235e38f, "3.4028235e+38"}, {1.4e-45f, "1e-45"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = print_number(cases[i].v);
        if (strcmp(s, cases[i].want) != 0) fail_msg("%.9g printed as %s, want %s", (double)cases[i].v, s, cases[i].want);
        cJSON_free(s);
    }
    char *s = print_number(NAN);
    assert_string_equal(s, "null");
    cJSON_free(s);
    s = print_number(-INFINITY);
    assert_string_equal(s, "null");
    cJSON_free(s);
}

/* The defining property on random bit patterns (every exponent, the
 * subnormals included): what is printed reads back as the same float and
 * has at most 9 significant digits, and no shorter decimal would do. */
static void test_run_jsonrec_f32_round_trip(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 12, 0);
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)mt_rng_u64(&r);
        float v;
        memcpy(&v, &bits, 4);
        if (!isfinite(v)) continue;
        char *s = print_number(v);
        float back = strtof(s, NULL);
        if (back != v) fail_msg("%a printed as %s reads back as %a", (double)v, s, (double)back);
        /* significant digits: from the first non-zero digit to the last */
        int first = -1, last = -1, k = 0;
        for (const char *p = s; *p && *p != 'e' && *p != 'E'; p++) {
            if (*p < '0' || *p > '9') continue;
            if (*p != '0') {
                if (first < 0) first = k;
                last = k;
            }
            k++;
        }
        int digits = first < 0 ? 1 : last - first + 1;
        assert_true(digits <= 9);
        char shorter[40];
        if (digits > 1) {
            snprintf(shorter, sizeof shorter, "%.*g", digits - 1, (double)v);
            if (strtof(shorter, NULL) == v) fail_msg("%a: %s has a shorter form %s", (double)v, s, shorter);
        }
        cJSON_free(s);
    }
}

static void test_run_jsonrec_utf8_repaired(void **state)
{
    (void)state;
    const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"}, /* valid stays */
        {"\xFF\xFE tail", "\xEF\xBF\xBD\xEF\xBF\xBD tail"},
        {"cut \xE2\x82", "cut \xEF\xBF\xBD\xEF\xBF\xBD"},          /* a sequence cut short */
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                   /* an overlong '/' */
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},   /* a surrogate */
        {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, cases[i].in, cases[i].in); /* as a key and as a value */
        jrec_fix_utf8(o);
        assert_string_equal(o->child->string, cases[i].want);
        assert_string_equal(o->child->valuestring, cases[i].want);
        cJSON_Delete(o);
    }
    /* a control character is escaped by cJSON and the line parses back */
    cJSON *ev = jrec_event("failed", 3);
    char msg[1001];
    memset(msg, 1, 1000);
    msg[1000] = '\0';
    cJSON_AddStringToObject(ev, "message", msg);
    char *line = jrec_print(ev);
    cJSON_Delete(ev);
    assert_non_null(strstr(line, "{\"event\":\"failed\",\"step\":3,\"message\":\"\\u0001\\u0001"));
    cJSON *back = cJSON_Parse(line);
    assert_non_null(back);
    assert_int_equal(strlen(cJSON_GetObjectItem(back, "message")->valuestring), 1000);
    cJSON_Delete(back);
    cJSON_free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_jsonrec_f32_as_written),
        cmocka_unit_test(test_run_jsonrec_f32_round_trip),
        cmocka_unit_test(test_run_jsonrec_utf8_repaired),
    };
    return cmocka_run_group_tests_name("run jsonrec", tests, NULL, NULL);
}
