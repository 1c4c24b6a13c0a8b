<?php
// Reads one HTTP/1.1 response from the sidecar's socket: the head, then the
// body as Content-Length, chunked, or up to the close — handing each piece on
// as soon as it is read, so an event stream flows through.
class Modules_Sendtrace_HttpReader
{
    const MAX_HEAD = 65536;

    private $socket;
    private $buffer = '';

    public function __construct($socket, $timeoutSeconds)
    {
        $this->socket = $socket;
        $this->setTimeout($timeoutSeconds);
    }

    public function setTimeout($seconds)
    {
        stream_set_timeout($this->socket, $seconds);
    }

    /** ['status' => int, 'headers' => [lower-case name => value]] or null if the peer closed first. */
    public function readHead()
    {
        while (($end = strpos($this->buffer, "\r\n\r\n")) === false) {
            if (strlen($this->buffer) > self::MAX_HEAD) {
                throw new Modules_Sendtrace_SidecarUnavailable('the sidecar sent an oversized response head');
            }
            if (!$this->fill()) {
                return null;
            }
        }
        $lines = explode("\r\n", substr($this->buffer, 0, $end));
        $this->buffer = (string) substr($this->buffer, $end + 4);
        if (!preg_match('~^HTTP/1\.[01] ([1-5][0-9][0-9])~', array_shift($lines), $m)) {
            throw new Modules_Sendtrace_SidecarUnavailable('the sidecar sent something that is not HTTP');
        }
        $headers = [];
        foreach ($lines as $line) {
            $colon = strpos($line, ':');
            if ($colon !== false) {
                $headers[strtolower(substr($line, 0, $colon))] = trim(substr($line, $colon + 1));
            }
        }
        return ['status' => (int) $m[1], 'headers' => $headers];
    }

    /** Calls $each(string) per piece; stops early when it returns false. */
    public function readBody(array $headers, $each)
    {
        if (isset($headers['transfer-encoding']) && stripos($headers['transfer-encoding'], 'chunked') !== false) {
            $this->readChunked($each);
            return;
        }
        $left = isset($headers['content-length']) && ctype_digit($headers['content-length']) ? (int) $headers['content-length'] : null;
        while ($left === null || $left > 0) {
            if ($this->buffer === '' && !$this->fill()) {
                if ($left !== null) {
                    throw new Modules_Sendtrace_SidecarUnavailable('the sidecar closed the connection before the end of its answer');
                }
                return;
            }
            $piece = $left === null ? $this->buffer : (string) substr($this->buffer, 0, $left);
            $this->buffer = (string) substr($this->buffer, strlen($piece));
            if ($left !== null) {
                $left -= strlen($piece);
            }
            if (!$each($piece)) {
                return;
            }
        }
    }

    private function readChunked($each)
    {
        for (;;) {
            while (($eol = strpos($this->buffer, "\r\n")) === false) {
                if (strlen($this->buffer) > 1024 || !$this->fill()) {
                    throw new Modules_Sendtrace_SidecarUnavailable('the sidecar sent a broken chunked answer');
                }
            }
            $sizeText = trim(explode(';', substr($this->buffer, 0, $eol), 2)[0]);
            if (!preg_match('~^[0-9a-fA-F]{1,8}$~', $sizeText)) {
                throw new Modules_Sendtrace_SidecarUnavailable('the sidecar sent a broken chunk size');
            }
            $size = hexdec($sizeText);
            $this->buffer = (string) substr($this->buffer, $eol + 2);
            if ($size === 0) {
                return;   // trailers, if any, are not needed
            }
            while ($size > 0) {
                if ($this->buffer === '' && !$this->fill()) {
                    throw new Modules_Sendtrace_SidecarUnavailable('the sidecar closed the connection inside a chunk');
                }
                $piece = (string) substr($this->buffer, 0, $size);
                $this->buffer = (string) substr($this->buffer, strlen($piece));
                $size -= strlen($piece);
                if (!$each($piece)) {
                    return;
                }
            }
            while (strlen($this->buffer) < 2) {
                if (!$this->fill()) {
                    throw new Modules_Sendtrace_SidecarUnavailable('the sidecar closed the connection after a chunk');
                }
            }
            $this->buffer = (string) substr($this->buffer, 2);
        }
    }

    /** Reads more into the buffer; false at the end of the stream. A silent peer past the timeout is an error. */
    private function fill()
    {
        for (;;) {
            $data = fread($this->socket, 65536);
            if ($data !== false && $data !== '') {
                $this->buffer .= $data;
                return true;
            }
            $meta = stream_get_meta_data($this->socket);
            if (!empty($meta['timed_out'])) {
                throw new Modules_Sendtrace_SidecarUnavailable('the sidecar did not answer in time');
            }
            if (feof($this->socket) || $data === false) {
                return false;
            }
        }
    }
}
