<?php
// The subscription a page was opened for: Plesk passes the domain in context
// to a button's link (contextParams) as site_id [I, seen in third-party
// extensions] or dom_id [I]; either may be a subscription's main or an
// additional domain.
class Modules_Sendtrace_Context
{
    /** domains.id from request parameters or a visibility callback's options, or null. */
    public static function domainIdOf(array $params)
    {
        foreach (['site_id', 'dom_id'] as $name) {
            if (isset($params[$name]) && is_scalar($params[$name]) && preg_match('~^[1-9][0-9]{0,9}$~', (string) $params[$name])) {
                return (int) $params[$name];
            }
        }
        return null;
    }
}
