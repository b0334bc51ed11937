# shellcheck shell=bash
# A binary cache for bench-scale's runner scenario (sourced): a
# `nix copy --to file://DIR?compression=zstd` cache, its narinfos signed
# with a key made for the run, served over HTTP on the loopback address by
# Debian's nginx, whose access log says how many bytes each request sent.
#   cache_start DIR      key, cache and nginx (port 37100 and up, the
#                        first free); sets cache_url, cache_pub, cache_to
#   cache_stop           nginx stopped (run.sh's exit does it)
#   cache_log_at         the access log's size now (a mark)
#   cache_sent MARK      bytes sent since MARK, and a summary of the NARs
#                        sent: "bytes nars nar_bytes" (see cache_check_nars)
cache_dir="" cache_url="" cache_pub="" cache_to="" nginx_dir=""

cache_start() {
    local port
    cache_dir=$1/cache nginx_dir=$1/nginx
    mkdir -p "$cache_dir" "$nginx_dir/tmp"
    nix-store --generate-binary-cache-key cowlink-bench-runner-1 "$1/cache.sec" "$1/cache.pub"
    cache_pub=$(cat "$1/cache.pub")
    cache_to="file://$cache_dir?compression=zstd&secret-key=$1/cache.sec"
    for ((port = 37100; port < 37200; port++)); do
        [ -n "$(ss -Hltn "sport = :$port")" ] || break
    done
    # Each request logged when it ends: status, bytes sent (headers
    # included), body bytes, the path.
    cat >"$nginx_dir/nginx.conf" <<EOF
daemon on;
user root;
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events { worker_connections 256; }
http {
    log_format sent '\$status \$bytes_sent \$body_bytes_sent \$uri';
    access_log $nginx_dir/access.log sent;
    client_body_temp_path $nginx_dir/tmp/body;
    proxy_temp_path $nginx_dir/tmp/proxy;
    fastcgi_temp_path $nginx_dir/tmp/fastcgi;
    uwsgi_temp_path $nginx_dir/tmp/uwsgi;
    scgi_temp_path $nginx_dir/tmp/scgi;
    types { text/x-nix-narinfo narinfo; }
    default_type application/octet-stream;
    sendfile on;
    server {
        listen 127.0.0.1:$port;
        root $cache_dir;
    }
}
EOF
    : >"$nginx_dir/access.log"
    nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" -e "$nginx_dir/error.log"
    cache_url=http://127.0.0.1:$port
    # nix copy writes nix-cache-info with the first path; until then, a
    # file of our own says the server answers.
    echo ok >"$cache_dir/ping"
    [ "$(curl -sf "$cache_url/ping")" = ok ] ||
        { echo "bench-scale: nginx does not serve $cache_dir at $cache_url: $(tail -3 "$nginx_dir/error.log")" >&2; return 1; }
    rm "$cache_dir/ping"
    : >"$nginx_dir/access.log"
}

cache_stop() {
    local pid
    [ -n "$nginx_dir" ] && [ -s "$nginx_dir/nginx.pid" ] || return 0
    pid=$(cat "$nginx_dir/nginx.pid")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

cache_log_at() { stat -c %s "$nginx_dir/access.log"; }

# cache_sent MARK: "bytes nars nar_bytes": every byte sent since MARK, the
# NARs sent whole (status 200 under /nar/) and their body bytes.  Fails
# when a NAR was sent short of its file in the cache.
cache_sent() {
    tail -c +$(($1 + 1)) "$nginx_dir/access.log" | awk -v dir="$cache_dir" '
        {sent += $2}
        $1 == 200 && $4 ~ /^\/nar\// {
            n++; body += $3
            cmd = "stat -c %s " dir $4; cmd | getline size; close(cmd)
            if (size != $3) { print "bench-scale: " $4 " sent " $3 " of " size " bytes" >"/dev/stderr"; bad = 1 }
        }
        END {print sent + 0, n + 0, body + 0; exit bad}'
}

# cache_nars_since MARK: the store paths whose NARs were sent since MARK
# (from the narinfos' URL and StorePath lines).
cache_nars_since() {
    local -x LC_ALL=C
    tail -c +$(($1 + 1)) "$nginx_dir/access.log" | awk '$1 == 200 && $4 ~ /^\/nar\// {print substr($4, 2)}' | sort >"$nginx_dir/sent"
    grep -H '^URL: ' "$cache_dir"/*.narinfo | sed 's/:URL: / /' | sort -k2 >"$nginx_dir/urls"
    join -1 1 -2 2 "$nginx_dir/sent" "$nginx_dir/urls" | while read -r _ info; do
        sed -n 's/^StorePath: //p' "$info"
    done
}

# cache_files: the cache's files, one a line, "size path" (a mark for
# cache_added and cache_restore).
cache_files() { (cd "$cache_dir" && find . -type f -printf '%s %p\n' | LC_ALL=C sort -k2); }
# cache_added MARKFILE: "bytes files" added since MARKFILE.
cache_added() {
    local -x LC_ALL=C
    cache_files | join -1 2 -2 2 -v 1 - "$1" | awk '{b += $2; n++} END {print b + 0, n + 0}'
}
# cache_restore MARKFILE: the files added since MARKFILE removed.
cache_restore() {
    local -x LC_ALL=C
    cache_files | join -1 2 -2 2 -v 1 - "$1" | while read -r p _; do rm -f "$cache_dir/$p"; done
}
