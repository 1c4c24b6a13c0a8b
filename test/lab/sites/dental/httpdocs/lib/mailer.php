<?php
// A small PHPMailer-style mailer (self-written for the lab): a library the
// contact form calls; it is never the culprit by itself (DESIGN.md §3).
class LabMailer
{
    public $Subject = '';
    public $Body = '';
    private $from = '';
    private $fromName = '';
    private $to = array();
    private $replyTo = '';

    public function setFrom($address, $name = '')
    {
        $this->from = $address;
        $this->fromName = $name;
    }

    public function addAddress($address)
    {
        $this->to[] = $address;
    }

    public function addReplyTo($address, $name = '')
    {
        $this->replyTo = $name === '' ? $address : $this->encode($name) . ' <' . $address . '>';
    }

    private function encode($text)
    {
        return '=?UTF-8?B?' . base64_encode($text) . '?=';
    }

    public function send()
    {
        $headers = 'From: ' . $this->encode($this->fromName) . ' <' . $this->from . ">\r\n";
        if ($this->replyTo !== '') {
            $headers .= 'Reply-To: ' . $this->replyTo . "\r\n";
        }
        $headers .= "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-Mailer: LabMailer 1.0";
        return mail(implode(', ', $this->to), $this->encode($this->Subject), $this->Body, $headers, '-f' . $this->from);
    }
}
