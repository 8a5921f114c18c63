#!/usr/bin/env python3
"""Deterministic generator of realistic nginx access-log lines ("combined" format).

    gen_access_log.py --lines N [--seed S] [--start EPOCH] > file

Same arguments, same bytes, on every run and every Python 3 (it uses only
random.Random's core generator, seeded with an integer, and no hash-ordered
containers). Standard library only.

Each line is:

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"

What makes it realistic rather than random noise:
- a fixed population of clients (IPv4 and some IPv6), a few of them much busier
  than the rest (a Zipf-like draw), each with its own user agent, so IP and UA
  repeat together as they do in real logs; crawlers, monitors and scanners have
  their own IP ranges and paths;
- timestamps advance monotonically with exponential gaps (~300 req/s average,
  with a slow day/night swing);
- a site map of pages, static assets with fingerprinted names, JSON API calls
  with ids and query strings, search with URL-encoded queries, and the usual
  junk (wp-login.php, .env, phpMyAdmin probes) getting 404s;
- status codes with a realistic mix (mostly 200, then 304, 404, 30x, some 4xx
  and a few 5xx) and body sizes that depend on status and content type;
- referers: none, internal pages, search engines, social sites.
"""

import argparse
import bisect
import math
import random
import sys
import time

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

BROWSER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.3; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/122.0.6261.89 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.178 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SAMSUNG SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:123.0) Gecko/123.0 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 OPR/107.0.0.0",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
)

CLIENT_UAS = (
    "curl/8.5.0",
    "curl/7.81.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.6.7",
    "Wget/1.21.3",
    "Java/17.0.10",
    "Apache-HttpClient/4.5.14 (Java/11.0.22)",
    "MyShopApp/5.12.1 (iPhone; iOS 17.3.1; Scale/3.00)",
    "MyShopApp/5.12.0 (Android 14; Pixel 8)",
)

BOT_UAS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/122.0.6261.94 Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "kube-probe/1.29",
    "Prometheus/2.50.1",
)

SCANNER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "-",
)

CATEGORIES = ("electronics", "books", "home-garden", "toys", "sports", "clothing", "beauty", "grocery",
              "automotive", "music", "office", "pets", "tools", "baby", "jewelry", "outdoor")
WORDS = ("wireless", "headphones", "usb-c", "charger", "cotton", "shirt", "garden", "hose", "led", "lamp",
         "running", "shoes", "coffee", "grinder", "kids", "lego", "desk", "chair", "yoga", "mat", "steel",
         "water", "bottle", "backpack", "laptop", "stand", "bluetooth", "speaker", "winter", "jacket",
         "organic", "tea", "smart", "watch", "camera", "tripod", "kitchen", "knife", "set", "vintage")
SEARCH_TERMS = ("wireless headphones", "usb c cable", "running shoes men", "coffee grinder", "lego star wars",
                "standing desk", "yoga mat", "water bottle", "gift for dad", "iphone 15 case", "air fryer",
                "mechanical keyboard", "4k monitor", "baby stroller", "dog food", "winter jacket women",
                "led strip lights", "electric toothbrush", "camping tent", "bluetooth speaker")
STATIC_DIRS = {".js": "/static/js/", ".css": "/static/css/", ".svg": "/static/img/", ".webp": "/static/img/",
               ".png": "/assets/", ".jpg": "/assets/", ".woff2": "/static/fonts/"}
STATIC_FILES = (("main", ".js"), ("vendor", ".js"), ("runtime", ".js"), ("checkout", ".js"), ("app", ".css"),
                ("print", ".css"), ("logo", ".svg"), ("hero", ".webp"), ("sprite", ".png"), ("inter-var", ".woff2"),
                ("icons", ".woff2"), ("banner", ".jpg"))
SCAN_PATHS = ("/wp-login.php", "/wp-admin/setup-config.php", "/.env", "/.git/config", "/phpmyadmin/index.php",
              "/xmlrpc.php", "/admin/config.php", "/cgi-bin/luci/;stok=/locale", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
              "/actuator/health", "/solr/admin/info/system?wt=json", "/boaform/admin/formLogin", "/.aws/credentials",
              "/server-status", "/owa/auth/logon.aspx", "/HNAP1/")
SITE = "https://www.shop.example.com"
EXTERNAL_REFERERS = ("https://www.google.com/", "https://www.google.de/", "https://www.bing.com/",
                     "https://duckduckgo.com/", "https://t.co/", "https://www.facebook.com/",
                     "https://l.instagram.com/", "https://www.reddit.com/", "android-app://com.google.android.gm/",
                     "https://news.ycombinator.com/")


def quote(text):
    return text.replace("%", "%25").replace(" ", "+").replace("&", "%26")


class Generator:
    def __init__(self, seed, start):
        self.r = random.Random(seed)
        r = self.r
        self.t = float(start)
        self._ts_second = None
        self._ts_text = ""
        self.hashes = ["%08x" % r.getrandbits(32) for _ in range(64)]

        # Clients: (ip, ua, kind). Browsers dominate; weights follow a Zipf-like law.
        clients = []
        for i in range(6000):
            ip = self._ipv6() if r.random() < 0.08 else self._ipv4()
            roll = r.random()
            if roll < 0.82:
                clients.append((ip, r.choice(BROWSER_UAS), "browser"))
            elif roll < 0.92:
                clients.append((ip, r.choice(CLIENT_UAS), "api"))
            else:
                clients.append((ip, r.choice(BOT_UAS), "bot"))
        for i in range(40):
            clients.append((self._ipv4(), r.choice(SCANNER_UAS), "scanner"))
        r.shuffle(clients)
        self.clients = clients
        weights = [1.0 / (k + 1) ** 0.9 for k in range(len(clients))]
        self.client_cum = self._cumulative(weights)

        # Status mixes per kind of request: (status, weight).
        self.status_page = self._table(((200, 86.0), (304, 3.0), (301, 1.5), (302, 2.5), (404, 4.0),
                                        (403, 0.4), (400, 0.3), (499, 0.6), (500, 0.4), (502, 0.2), (503, 0.1)))
        self.status_static = self._table(((200, 70.0), (304, 26.0), (404, 2.5), (206, 0.8), (499, 0.5),
                                          (500, 0.1), (503, 0.1)))
        self.status_api = self._table(((200, 82.0), (201, 4.0), (204, 3.0), (400, 2.5), (401, 3.0),
                                       (403, 0.8), (404, 2.0), (409, 0.4), (422, 0.8), (429, 0.6), (500, 0.5),
                                       (502, 0.2), (503, 0.1), (504, 0.1)))
        self.status_scan = self._table(((404, 88.0), (403, 6.0), (400, 3.0), (301, 2.0), (200, 1.0)))

    # -- helpers -----------------------------------------------------------------

    @staticmethod
    def _cumulative(weights):
        total = 0.0
        out = []
        for w in weights:
            total += w
            out.append(total)
        return [c / total for c in out]

    def _table(self, pairs):
        return ([p[0] for p in pairs], self._cumulative([p[1] for p in pairs]))

    def _pick(self, table):
        values, cum = table
        return values[min(bisect.bisect_left(cum, self.r.random()), len(cum) - 1)]

    def _ipv4(self):
        r = self.r
        first = r.choice((5, 23, 31, 37, 41, 45, 46, 62, 66, 73, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88,
                          89, 91, 93, 94, 95, 98, 99, 104, 107, 108, 109, 141, 151, 157, 162, 176, 178, 185, 188,
                          193, 194, 195, 203, 212, 213, 217))
        return "%d.%d.%d.%d" % (first, r.randrange(256), r.randrange(256), 1 + r.randrange(254))

    def _ipv6(self):
        r = self.r
        return "2a02:%x:%x:%x::%x" % (r.randrange(0x10000), r.randrange(0x10000), r.randrange(0x10000),
                                      1 + r.randrange(0xffff))

    def _timestamp(self):
        second = int(self.t)
        if second != self._ts_second:
            tm = time.gmtime(second)
            self._ts_text = "%02d/%s/%04d:%02d:%02d:%02d +0000" % (
                tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec)
            self._ts_second = second
        return self._ts_text

    def _advance(self):
        # ~300 req/s on average, swinging between about 100 and 500 over a day.
        day = (self.t % 86400.0) / 86400.0
        rate = 300.0 + 200.0 * math.sin(2 * math.pi * (day - 0.375))
        self.t += self.r.expovariate(rate)

    def _product(self):
        r = self.r
        return "/p/%s-%s-%s/%d" % (r.choice(WORDS), r.choice(WORDS), r.choice(WORDS), 100000 + r.randrange(900000))

    def _page(self):
        r = self.r
        x = r.random()
        if x < 0.30:
            return self._product()
        if x < 0.45:
            path = "/c/" + r.choice(CATEGORIES)
            if r.random() < 0.5:
                path += "?sort=%s&page=%d" % (r.choice(("popular", "price_asc", "price_desc", "newest", "rating")),
                                              1 + int(r.expovariate(0.5)))
            return path
        if x < 0.58:
            q = r.choice(SEARCH_TERMS)
            path = "/search?q=" + quote(q)
            if r.random() < 0.3:
                path += "&page=%d" % (2 + r.randrange(8))
            if r.random() < 0.2:
                path += "&utm_source=%s&utm_medium=cpc&utm_campaign=spring_sale" % r.choice(("google", "bing", "newsletter"))
            return path
        if x < 0.68:
            return "/"
        if x < 0.74:
            return "/cart"
        if x < 0.78:
            return r.choice(("/checkout", "/checkout/shipping", "/checkout/payment", "/checkout/confirm"))
        if x < 0.82:
            return r.choice(("/account", "/account/orders", "/login", "/logout", "/register", "/account/wishlist"))
        if x < 0.90:
            return "/blog/%d/%02d/%s-%s-%s" % (2019 + r.randrange(6), 1 + r.randrange(12), r.choice(WORDS),
                                                 r.choice(WORDS), r.choice(WORDS))
        return r.choice(("/about", "/contact", "/help/shipping", "/help/returns", "/privacy", "/terms", "/sitemap.xml",
                         "/robots.txt", "/favicon.ico", "/stores?near=%s" % r.choice(("berlin", "london", "paris", "10115"))))

    def _static(self):
        r = self.r
        if r.random() < 0.3:
            return "/images/products/%d/%d_%s.webp" % (r.randrange(1000), 100000 + r.randrange(900000),
                                                      r.choice(("400x400", "800x800", "thumb")))
        i = r.randrange(len(STATIC_FILES))
        name, ext = STATIC_FILES[i]
        # Each asset has a current and a previous fingerprint (caches still ask for the old one).
        fingerprint = self.hashes[2 * i + (1 if r.random() < 0.15 else 0)]
        path = "%s%s.%s%s" % (STATIC_DIRS[ext], name, fingerprint, ext)
        if r.random() < 0.1:
            path += "?v=%d" % (1700000000 + r.randrange(10000000))
        return path

    def _api(self):
        r = self.r
        x = r.random()
        if x < 0.25:
            return "GET", "/api/v2/products/%d?fields=id,name,price,stock&currency=%s" % (
                100000 + r.randrange(900000), r.choice(("EUR", "USD", "GBP")))
        if x < 0.40:
            return "GET", "/api/v2/products?category=%s&limit=%d&offset=%d" % (
                r.choice(CATEGORIES), r.choice((20, 24, 48)), 24 * r.randrange(20))
        if x < 0.55:
            return r.choice(("GET", "GET", "POST", "DELETE")), "/api/v2/cart/%s/items" % r.choice(self.hashes)
        if x < 0.65:
            return "GET", "/api/v2/users/%d/orders?status=%s&page=%d" % (
                10000 + r.randrange(90000), r.choice(("open", "shipped", "all")), 1 + r.randrange(5))
        if x < 0.75:
            return "POST", "/api/v2/events"
        if x < 0.82:
            return "GET", "/api/v2/recommendations?user=%d&slot=%s" % (10000 + r.randrange(90000), r.choice(("home", "pdp", "cart")))
        if x < 0.88:
            return r.choice(("POST", "PUT", "PATCH")), "/api/v2/users/%d/addresses/%d" % (10000 + r.randrange(90000), 1 + r.randrange(4))
        if x < 0.94:
            return "POST", "/api/v2/auth/token"
        return "GET", "/api/v2/search/suggest?q=" + quote(r.choice(SEARCH_TERMS)[: 2 + r.randrange(8)])

    def _bot_path(self):
        r = self.r
        x = r.random()
        if x < 0.08:
            return "/robots.txt"
        if x < 0.14:
            return "/sitemap.xml"
        if x < 0.20:
            return r.choice(("/healthz", "/metrics", "/-/ready"))
        return self._page()

    def _size(self, status, kind, method):
        r = self.r
        if status in (304, 204) or method == "HEAD":
            return 0
        if status in (301, 302):
            return 162 if r.random() < 0.7 else 178
        if status >= 400:
            if kind == "api":
                return 40 + r.randrange(120)
            return r.choice((146, 153, 162, 548, 555, 4851, 12412))
        if kind == "static":
            return int(min(2500000, r.lognormvariate(9.6, 1.3)))
        if kind == "api":
            return int(min(200000, r.lognormvariate(7.0, 1.1)))
        return int(min(600000, r.lognormvariate(10.3, 0.6)))

    def _referer(self, kind, path):
        r = self.r
        if kind in ("scanner", "bot"):
            return "-"
        x = r.random()
        if kind == "api":
            return "-" if x < 0.6 else SITE + r.choice(("/", "/cart", "/checkout", self._product()))
        if kind == "static":
            return SITE + r.choice(("/", "/cart", "/c/" + r.choice(CATEGORIES), self._product(), "/static/css/app.%s.css" % self.hashes[8]))
        if x < 0.35:
            return "-"
        if x < 0.80:
            return SITE + r.choice(("/", "/cart", "/search?q=" + quote(r.choice(SEARCH_TERMS)), "/c/" + r.choice(CATEGORIES), self._product()))
        return r.choice(EXTERNAL_REFERERS)

    # -- one line ----------------------------------------------------------------

    def line(self):
        r = self.r
        self._advance()
        cum = self.client_cum
        lo = min(bisect.bisect_left(cum, r.random()), len(cum) - 1)
        ip, ua, who = self.clients[lo]

        method = "GET"
        protocol = "HTTP/1.1" if r.random() < 0.72 else "HTTP/2.0"
        if who == "scanner":
            kind = "scanner"
            path = r.choice(SCAN_PATHS)
            method = "GET" if r.random() < 0.8 else r.choice(("POST", "HEAD"))
            protocol = "HTTP/1.1" if r.random() < 0.6 else "HTTP/1.0"
            status = self._pick(self.status_scan)
        elif who == "bot":
            kind = "page"
            path = self._bot_path()
            method = "GET" if r.random() < 0.95 else "HEAD"
            status = self._pick(self.status_page)
        elif who == "api":
            kind = "api"
            method, path = self._api()
            status = self._pick(self.status_api)
            if method == "POST" and status == 200 and r.random() < 0.5:
                status = 201
        else:
            y = r.random()
            if y < 0.55:
                kind = "static"
                path = self._static()
                status = self._pick(self.status_static)
            elif y < 0.80:
                kind = "page"
                path = self._page()
                if path in ("/login", "/register", "/checkout/payment") and r.random() < 0.3:
                    method = "POST"
                status = self._pick(self.status_page)
            else:
                kind = "api"
                method, path = self._api()
                if method == "GET" and r.random() < 0.02:
                    method = "OPTIONS"
                status = self._pick(self.status_api)
        user = "-"
        if kind == "api" and r.random() < 0.01:
            user = r.choice(("admin", "deploy", "svc-reports", "jsmith"))
        size = self._size(status, kind, method)
        referer = self._referer(kind, path)
        return '%s - %s [%s] "%s %s %s" %d %d "%s" "%s"\n' % (
            ip, user, self._timestamp(), method, path, protocol, status, size, referer, ua)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, required=True, help="how many lines to write")
    parser.add_argument("--seed", type=int, default=20240310, help="random seed (default 20240310)")
    parser.add_argument("--start", type=int, default=1710051900,
                        help="Unix time of the first line (default 1710051900 = 2024-03-10T06:25:00Z)")
    args = parser.parse_args()
    if args.lines < 0:
        parser.error("--lines must not be negative")
    gen = Generator(args.seed, args.start)
    out = sys.stdout.buffer
    chunk = []
    line = gen.line
    for i in range(args.lines):
        chunk.append(line())
        if len(chunk) == 8192:
            out.write("".join(chunk).encode("ascii"))
            chunk.clear()
    if chunk:
        out.write("".join(chunk).encode("ascii"))
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
