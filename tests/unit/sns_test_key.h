/* sns_test_key.h - a fixed RSA-2048 key and its self-signed certificate for the SNS signing tests
 * (made once with the openssl command line: genpkey -algorithm RSA, req -new -x509 -sha256), a
 * second key that does not match it, and a 1024-bit key (too small). Test material only: the
 * private keys are public. RSA PKCS #1 v1.5 signatures are deterministic, so signatures made with
 * TEST_KEY_PEM are known answers (computed with `openssl dgst -sha1|-sha256 -sign`). */
#ifndef HUB_TEST_SNS_TEST_KEY_H
#define HUB_TEST_SNS_TEST_KEY_H

#include <stdio.h>

#include "sns_key.h"

static const char TEST_KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDYjkZEi7fFjaQL\n"
    "aQJdzfeHWPrp9IKdEYJEh8hhF1yyXM5cVYr11t8OqSWZxzEawjIlHb0VpFArZjAq\n"
    "lgO0MVzY2A/fntXfrbBsNZsxT7IGwuII7xi7xLCKTquysd22jmrDHwKqgUndOcMu\n"
    "mtDzENZzhL0C+2IqtCdlq6OMOVi9uwB68dnuq1SjcvjbH8JBJnSSkPVmo3owtcc1\n"
    "M3TnldANCtGPGT5X3txZxnS8wzFwQ2sTcpR7KWa76zqyL9N6h0skzNwKaGouhMFN\n"
    "GLmQoYUNHu7GbdvjDq2WdrJWR1Xf1PoIvqaH1v1TCFBH4A/GMKXnO8lvWYUS7aAt\n"
    "BH1qBp//AgMBAAECggEAFNBf6pivOhqqCLq4EoIIZ4bi3ve0UhprteCDHuna6/3F\n"
    "i9Rg/c4ANG2HgqdFjffaT/zyvpDDb9hrirxOcNRJw0HJDMo8bjpIea4RU4UAbGvw\n"
    "w8EPVITMHw7+q7cywygfFM/3NqIkklHJ88HHkYUtx36bmBzHS6lzG++KUaD1aY7R\n"
    "XvjYxPZvpZeQhhe+tyP6edNGOa27ZIkdApMWwREf6/+Hed0BS2c3yOnQWQ5zbYau\n"
    "luBhePZLPprbQ8yf+UaJEIYVVZpNbOJL5ELEA8Dew42a1j5odbyMzBS4t4GP/FaZ\n"
    "B7ku8exFuPqk//oZ87luuCKTIB7bfeVSkF92TNN34QKBgQD5wPjV/9MXFobWkSWz\n"
    "fqokVKQuA2Fs1PC8imPw0V708Z1b9eud6jsFCv62n9+D71sy2s7GEllAIILDVyAA\n"
    "H8QUTGraHJF1eaHcA6z1H8mEW8hsc9TtLL2bbJttmb2ieazs7zklfNqhzDP145RA\n"
    "IVNxI8fB8rkvf6kZioJ2zqawrwKBgQDd+ME5qysfwltyKcckTeXf6shnHDf4YGxC\n"
    "PJZR+DnSuuLP+AQA5PE27nn8LXBG919LTMyYlhjZjh0+jZVh40v/0H4OS/rXULd1\n"
    "ioBxTt9MELVPPhqr+SF1TYTAUVCJ/VGSWYXiIX4ElaYQPJXc0aKftWEe082Aqkc6\n"
    "7qs1dGi5sQKBgHRcihL6XBkXr77sZUpZq1+957hgbtXL6FWPjLy4b6tjntMnop0y\n"
    "ckkJNF9V4UeRD0aEV25FQjv0abglMY2dPzfN2sLAKK04/EaLl9uk8bivIpQU65GN\n"
    "FNIDKe9If+fhFMZXNqLWpu5XO6ZGX935KO0/pGQieFE/A0QZGmvMIDGVAoGAQjf2\n"
    "dNzCdawGmc0q0oLGpAEnndMGQ3uIcE4gzf1OSrZj+YTUtOuXpjqIe5mWmCUt8YnM\n"
    "s2x7p1NFGCcmvFgRkRRCtsMl5tv2jwMthB/yb3/Ahw5Q6KLev17Lzo+zhibjEdTR\n"
    "Iv+412dJbiiU0JZdfGWgvpCTCuJBc6xFuSGsKFECgYEAryyYpSngBzK2n/49bFL+\n"
    "758Y2qfSdn58Jvg7KG2452TmgLHgcbl36Xdt2B3Nkvt8I/8wJ4JNzRZ0Eyx2+sIA\n"
    "pZjV4sP+dAVAQLhheFbc1Uo5LnGgGNYeeHSxQei9L3QhQVDctHe5CtfEtEKTbJaB\n"
    "epCdf3wj06hop6s+CIX1tEM=\n"
    "-----END PRIVATE KEY-----\n";

static const char TEST_CERT_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDRTCCAi2gAwIBAgIUE6JBSAnn+MqmxgljUHC196uBQ1YwDQYJKoZIhvcNAQEL\n"
    "BQAwMTEVMBMGA1UECgwMSHViYnViIHRlc3RzMRgwFgYDVQQDDA9odWJidWItdGVz\n"
    "dC1zbnMwIBcNMjYxMTI1MTg1NjQ3WhgPMjEyNjExMDExODU2NDdaMDExFTATBgNV\n"
    "BAoMDEh1YmJ1YiB0ZXN0czEYMBYGA1UEAwwPaHViYnViLXRlc3Qtc25zMIIBIjAN\n"
    "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2I5GRIu3xY2kC2kCXc33h1j66fSC\n"
    "nRGCRIfIYRdcslzOXFWK9dbfDqklmccxGsIyJR29FaRQK2YwKpYDtDFc2NgP357V\n"
    "362wbDWbMU+yBsLiCO8Yu8Swik6rsrHdto5qwx8CqoFJ3TnDLprQ8xDWc4S9Avti\n"
    "KrQnZaujjDlYvbsAevHZ7qtUo3L42x/CQSZ0kpD1ZqN6MLXHNTN055XQDQrRjxk+\n"
    "V97cWcZ0vMMxcENrE3KUeylmu+s6si/TeodLJMzcCmhqLoTBTRi5kKGFDR7uxm3b\n"
    "4w6tlnayVkdV39T6CL6mh9b9UwhQR+APxjCl5zvJb1mFEu2gLQR9agaf/wIDAQAB\n"
    "o1MwUTAdBgNVHQ4EFgQUWXVM5l4MY8+zczyobXcs8XA2sWkwHwYDVR0jBBgwFoAU\n"
    "WXVM5l4MY8+zczyobXcs8XA2sWkwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B\n"
    "AQsFAAOCAQEAAfQFRkDelOaHOboEUfL/Fj8s+bomx7vwqZ50MYIZA7uc3ggs9C5n\n"
    "rLYdbkgK/H8UVqhA/l0eDdZytj235SF8dm0NyplxhKUvYJEo/7pTEdEuKMRQABpR\n"
    "EDH+cfam6knDH/pnI6jLWA0cziRQw1gxdbQutX3K9TBb5sxieYQooVcvFRd2o9Bb\n"
    "jLEF8G5Y/RrYfpqjb0kYb/hvMmyIR+hd6bSIUWSHQ3d1sIuCzf3rV3ld+En4+eTI\n"
    "K6vkg2UvMNHwxr4oqSk/P7h/yH832yKCsktJjXvbN4FCcXw5EZTkWOe2BwdRrfkR\n"
    "NGfjtVwbDuSydzR4FBGtY2w89N7kpxlUug==\n"
    "-----END CERTIFICATE-----\n";

static const char TEST_OTHER_KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEuQIBADANBgkqhkiG9w0BAQEFAASCBKMwggSfAgEAAoIBAQDlfTR+phy9JsAi\n"
    "tetqU8mdfbfcokkagDS8Qocjwp+CWnTEngUpqIZpPl049WhcVHlx5OzvuDypHPwt\n"
    "oKLvUN+1sQX9N3lHm3OH8tAx8kimgK7skFj7UynKGnzlY7Q0Gs0m4ngGTYNz62Eh\n"
    "g+fs8tolL1Y/W597kYjZkd4j5pvlh1cnkp4fBLuyYZxVAAYHrW0q8bocARP/foIo\n"
    "ug7m1llh8hVIkg97XY0Jec6e8O64GqPUvtXRWLXOhGq4+hZ/A7LzSFbe7/VYpnw8\n"
    "KWncxqrfiX3dWVDiNQnnaxvHiABsD5i/lgh4PHjOGZOVcUccwUEQDdVhOMIkPJCj\n"
    "EWB715jFAgMBAAECgf8CyQtjNPxbKsrzV8HoSHd8RCXJbFNkiBeJeo5gMwWqT1x2\n"
    "4eHSuwsvu9IKaBSud+pKkwXfdUGQXi5DqKZRnLLRQblaBySfZ5Xj9RekFdXeL3rL\n"
    "dodUzra8Rl8raZOGV4PKfiwJDB6nwGFR/axuYYQyAaETfzbnLZ0EvdvrODOZ59cD\n"
    "c+lE9JeNP+BASv0Tm1kBqxSvy+NtVvle9AHDNaH4iz4zun3Sy8MrML9eQD2I+Obe\n"
    "HSBMXE6Yu8FOcbPaqiseAmjTivQCSZIENvCmiYwTD/WBDbShCaCM/OnlCsk9DkWL\n"
    "dcU6HG+Y89WRdooe0FN7u3OoAGwHNm63zNSI1nkCgYEA/JDupVhFEXkfrcSEToKk\n"
    "J2GOVBluzz10E+trjoHvA83OKV45p1pBJIJr9xUmSKxDxO6C4/MR9+qGsX+nx8ma\n"
    "Nk+1rQUJuxnuRwszaj/7bl75qm/w7KFXyII+VEvUUofZa/AtbWUFMbTguzgvSdaY\n"
    "7II2UJ7sv2iUUvJ+D30sx50CgYEA6JvzvUdv3pi0wl9BtoAeOYFzvnadvKN5jugU\n"
    "5FMTRrecmdsKqnk+iN1Vem9vULDBlsGjccHxj2USxKdu/jj9sepBA+O3qL4HAayb\n"
    "a9OgdvkCxR/eeIUaiZCoW3OTIRGcU5vza0wPXxyICK6xwW+rROcyMrpdGsI4uRvw\n"
    "czdyUUkCgYEAnfGkzBHfX4X3oZt7gf2A2n/Pmhgti7xKkwpuQLhQ2HgjrQsX0uhG\n"
    "RKarDeFUB65y0vy1Lggb/IXVpbrHGdGhdsVyP7ke1Lrqn9MJXDCW8/bA+yz15YUg\n"
    "eGu6vsyNAu+hsDaKshayoNsUjwAb0nk5OO5VOSWpuCmWWCj9XIJTNqECf1rckFlf\n"
    "jlNlUzaZ/xFK+oN8DbpYm0UUlmc8QOzvhpgZIRL4fTIaKlNMIhexb8oVQYmiGjZV\n"
    "jAZ3dN1cif7ERFU7LCpYyWUg1ZvR0ORNxmCy5GIcEMsDM1qJJzqR6ub/+hCu2mcP\n"
    "TvHYM0sw8j6dYEmKBhHKupO5Sm8EeuiGwCECgYAIXT/e09aJ4d+gGfEwAFvuk87e\n"
    "v6efuC5SXpyJdcvgS9HGB1f+8i7W0A+LnGDe8h0dyOLiR+WZenlTVycnFuQpDKpx\n"
    "SJPq2M7ZKjCdI0X4Po00FK/lxuXPXgM3mkifXFlp2ZSwA6XIpOOqBiclwL0TzqsL\n"
    "S7mQuj7JNMZsf8Mwvw==\n"
    "-----END PRIVATE KEY-----\n";

static const char TEST_SMALL_KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAL4tjQhM/4CwQMM6\n"
    "b9PwsTRQ8nOpOhBcmLJErHvU22robl3FJgYRx1UT0ZqHmBoPDd4J8eoHC16p/Pn7\n"
    "haJW5NgXOWfyjuOishzfUKkbP0283AD1Sw9F3mtYlZMOZryAPu113yuExMdbenUI\n"
    "QARCAO2PlqUzNISv3gAtR6B55T/1AgMBAAECgYB5gv1Dun7eKL+YffQJxRZUSQxA\n"
    "3nWdEqz16m8SyBRSIKS0AU2kPyPPtlQMmmqS699+aXhKganAGHjs+MqPyVl5pnpl\n"
    "VYgNb3xT7d2hoTSiIloiqZy1dwl16416DGoEdAssL7HAGValuQXUQo+ylmhFkfqs\n"
    "20oERQxpezuwgJz1WQJBAOLcAF9GjHVpLgZfJaGPd1Dy4OhrRtk755h91+jjsYO/\n"
    "SFGPXs6OmJYnodvZrUgYZyvm0Ud5f7wTJoMvFtPLUIMCQQDWm1L19aFQHxuDFkWA\n"
    "w8i7ulZ/1nWP/Xd0tCfPWMGP1pEI/AIZ4gRFbiHtGZt4241VOHkyDkn69y7Egvbo\n"
    "q1QnAkBKUqdwj21u/fGNNtjeUGFXzOqwWo0QmJasl/YHn6lFr4Ji7iSyaXdGIl/d\n"
    "5jfmGdCbSnigAQc/N8rzSZch9kc/AkEAwfhj9KHN6uAi+snPikHrlhonAqbxXXMI\n"
    "XHhVHykm0n5qWseEkqZhm+ueSHKDvqoaxXMkv+SAY5C1ObLxvnzUswJBAKMr6dIY\n"
    "aCdyPDGUr7+2pFaXXEUCm3ZNBJNYYehBV9J0gT/joO+I1FJOvfKvtMar97FgonZH\n"
    "nEUKKu92Cmd5hKw=\n"
    "-----END PRIVATE KEY-----\n";

/* A new key of TEST_KEY_PEM and TEST_CERT_PEM (hub_sns_key_unref it), or NULL (said on stderr). */
static inline hub_sns_key *sns_test_key_new(void)
{
    hub_sns_key *k = NULL;
    char err[200];

    if (hub_sns_key_from_pem(TEST_KEY_PEM, sizeof TEST_KEY_PEM - 1, TEST_CERT_PEM,
                             sizeof TEST_CERT_PEM - 1, &k, err, sizeof err) != 0)
        fprintf(stderr, "the test key: %s\n", err);
    return k;
}

#endif
