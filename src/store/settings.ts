// Keys of the server-wide settings table.

/** The public URL the server last started with; offline `credentials create` names its host. */
export const PUBLIC_URL_SETTING = "public_url";
