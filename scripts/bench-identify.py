#!/usr/bin/env python3
"""Compares care's and nmap's identification of the recorded banners
(scripts/bench-identify.sh): per protocol, the share of products named and of
exact versions read, and each tool's wall time."""
import json, re, sys
import xml.etree.ElementTree as ET
from collections import defaultdict

net, recorded, care_json, nmap_xml, care_s, nmap_s = sys.argv[1:7]
rows = json.load(open(recorded))

# nmap's product names, as ours (vendor:product of rules.yaml).
NMAP = [
    (r"^OpenSSH", "openbsd:openssh"), (r"^Dropbear", "dropbear_ssh_project:dropbear_ssh"), (r"^libssh", "libssh:libssh"),
    (r"^Cisco", "cisco:ios"), (r"MikroTik", "mikrotik:routeros"),
    (r"^vsftpd", "beasts:vsftpd"), (r"^ProFTPD", "proftpd:proftpd"), (r"^Pure-FTPd", "pureftpd:pure-ftpd"),
    (r"^FileZilla", "filezilla-project:filezilla_server"), (r"^Serv-U", "solarwinds:serv-u"),
    (r"^Microsoft ftpd|^Microsoft ESMTP|^Microsoft IIS", "microsoft:internet_information_services"),
    (r"^Microsoft Exchange", "microsoft:exchange_server"),
    (r"^Postfix", "postfix:postfix"), (r"^Exim", "exim:exim"), (r"^Sendmail", "sendmail:sendmail"), (r"^OpenSMTPD", "openbsd:opensmtpd"),
    (r"^Dovecot", "dovecot:dovecot"), (r"^Cyrus", "cmu:cyrus_imap_server"), (r"^Courier", "courier-mta:courier-imap"),
    (r"^MariaDB", "mariadb:mariadb"), (r"^MySQL", "oracle:mysql"),
    (r"^Apple remote desktop", "apple:remote_desktop"), (r"^RealVNC", "realvnc:realvnc"),
    (r"^nginx", "f5:nginx"), (r"^OpenResty", "openresty:openresty"), (r"^Apache Tomcat|^Apache-Coyote", "apache:tomcat"),
    (r"^Apache httpd", "apache:http_server"), (r"^lighttpd", "lighttpd:lighttpd"), (r"^Caddy", "caddyserver:caddy"),
    (r"^Jetty", "eclipse:jetty"), (r"^Squid", "squid-cache:squid"), (r"^tinyproxy", "tinyproxy_project:tinyproxy"),
]

def nmap_product(product, version):
    if product == "MySQL" and "MariaDB" in version:
        return "mariadb:mariadb"
    for pattern, key in NMAP:
        if re.search(pattern, product, re.I):
            return key
    return product

def version_ok(want, got):
    """The version read equals the one the banner carries, as a whole token."""
    return want != "" and want in re.split(r"[ \-_()]", got)

care = {}
for line in json.load(open(care_json)):
    care[(line["address"], line["port"])] = (line.get("product", ""), line.get("version", ""))
nmap = {}
for host in (ET.parse(nmap_xml).getroot().iter("host") if nmap_xml != "-" else []):
    addr = host.find("address").get("addr")
    for port in host.iter("port"):
        svc = port.find("service")
        if svc is not None and port.find("state").get("state") == "open":
            p, v = svc.get("product", ""), svc.get("version", "")
            nmap[(addr, int(port.get("portid")))] = (nmap_product(p, v), v)

stats = defaultdict(lambda: defaultdict(int))
for i, r in enumerate(rows, 1):
    key = ("%s.%d" % (net, i), r["port"])
    s = stats[r["protocol"]]
    s["n"] += 1
    if r["version"]:
        s["versioned"] += 1
    for tool, found in (("care", care), ("nmap", nmap)):
        product, version = found.get(key, ("", ""))
        if product == r["product"]:
            s[tool + "_product"] += 1
            if version_ok(r["version"], version):
                s[tool + "_version"] += 1
        if tool == "care" and (product != r["product"] or (r["version"] and not version_ok(r["version"], version))):
            print("care missed %s:%d %r: %r %r" % (key[0], key[1], r["banner"][:80], product, version))

def pct(a, b):
    return "%5.1f %%" % (100.0 * a / b) if b else "    —  "

print("%-8s %5s %9s | %-14s %-14s | %-14s %-14s" % ("protocol", "n", "versioned", "care product", "care version", "nmap product", "nmap version"))
total = defaultdict(int)
for proto in sorted(stats):
    s = stats[proto]
    for k, v in s.items():
        total[k] += v
    print("%-8s %5d %9d | %-14s %-14s | %-14s %-14s" % (proto, s["n"], s["versioned"], pct(s["care_product"], s["n"]), pct(s["care_version"], s["versioned"]),
                                                    pct(s["nmap_product"], s["n"]), pct(s["nmap_version"], s["versioned"])))
print("%-8s %5d %9d | %-14s %-14s | %-14s %-14s" % ("all", total["n"], total["versioned"], pct(total["care_product"], total["n"]), pct(total["care_version"], total["versioned"]),
                                                pct(total["nmap_product"], total["n"]), pct(total["nmap_version"], total["versioned"])))
if nmap_xml == "-":
    print("time: care scan %.1f s (nmap not run)" % float(care_s))
else:
    print("time: care scan %.1f s, nmap -sV %.1f s (%.0f×)" % (float(care_s), float(nmap_s), float(nmap_s) / max(float(care_s), 0.001)))
