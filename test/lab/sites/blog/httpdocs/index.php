<?php
// The lab's blog: a plain page. Its uploads folder holds a mailer someone
// uploaded through an old plugin (wp-content/uploads/2024/03/.thumb.php).
echo "<!doctype html><title>Blog (lab)</title><h1>Blog</h1><p>Posts will appear here.</p>\n";
