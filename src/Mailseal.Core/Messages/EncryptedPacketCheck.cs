namespace Mailseal.Core.Messages;

/// <summary>
/// Checks, octet by octet as the armor is decoded, that the data is the packet sequence of an
/// OpenPGP encrypted message (RFC 9580 section 10.3): one or more public-key or symmetric-key
/// encrypted session key packets (PKESK v3/v6, SKESK v4/v5/v6; a Marker packet may come
/// first), then exactly one encrypted data packet (SED, SEIPD v1/v2, or the LibrePGP OCB
/// packet) that runs to the end, then at most padding packets. Base64 of plaintext, a
/// literal-data or compressed packet, a signature or a key, or a bare checksum line is not
/// that shape, so it is not "already encrypted". What the encrypted data packet holds cannot
/// be checked without the key: the check is of structure, which is all ciphertext offers.
/// Constant memory: nothing is kept but the current packet's position.
/// </summary>
internal sealed class EncryptedPacketCheck
{
    private const int TagPkesk = 1;
    private const int TagSkesk = 3;
    private const int TagSed = 9;
    private const int TagMarker = 10;
    private const int TagSeipd = 18;
    private const int TagOcb = 20;
    private const int TagPadding = 21;

    private enum Step
    {
        Tag,
        Length,
        Body,
    }

    private enum Phase
    {
        BeforeSessionKeys,
        SessionKeys,
        EncryptedData,
        AfterEncryptedData,
    }

    private Step _step = Step.Tag;
    private Phase _phase = Phase.BeforeSessionKeys;
    private bool _invalid;
    private int _tag;
    private bool _newFormat;
    private int _oldLengthOctets;
    private readonly byte[] _lengthOctets = new byte[5];
    private int _lengthHave;
    private long _bodyLeft;
    private bool _partial;
    private bool _continuation;
    private bool _indeterminate;
    private bool _versionPending;

    /// <summary>False once the data is known not to be an encrypted message.</summary>
    public bool IsPossible => !_invalid;

    /// <summary>True when the data so far is a whole encrypted message (nothing half read).</summary>
    public bool IsComplete =>
        !_invalid && ((_phase == Phase.AfterEncryptedData && _step == Step.Tag)
            || (_phase == Phase.EncryptedData && _indeterminate && !_versionPending));

    /// <summary>Takes the next decoded octets. Returns <see cref="IsPossible"/>.</summary>
    public bool Accept(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && !_invalid)
        {
            switch (_step)
            {
                case Step.Tag:
                    StartPacket(data[0]);
                    data = data[1..];
                    break;
                case Step.Length:
                    _lengthOctets[_lengthHave++] = data[0];
                    data = data[1..];
                    TryFinishLength();
                    break;
                case Step.Body:
                    if (_versionPending)
                    {
                        CheckVersion(data[0]);
                        _versionPending = false;
                    }

                    if (_indeterminate)
                        return !_invalid; // runs to the end of the data
                    int take = (int)Math.Min(_bodyLeft, data.Length);
                    _bodyLeft -= take;
                    data = data[take..];
                    if (_bodyLeft == 0)
                        EndChunk();
                    break;
            }
        }

        return !_invalid;
    }

    private void StartPacket(byte first)
    {
        if ((first & 0x80) == 0 || _phase == Phase.EncryptedData)
        {
            _invalid = true; // not a packet header, or something after the data packet that should have run to the end
            return;
        }

        _newFormat = (first & 0x40) != 0;
        _tag = _newFormat ? first & 0x3F : (first >> 2) & 0x0F;
        _lengthHave = 0;
        _partial = false;
        _indeterminate = false;
        if (!_newFormat)
        {
            int type = first & 0x03;
            if (type == 3)
            {
                _oldLengthOctets = 0;
                _indeterminate = true;
            }
            else
            {
                _oldLengthOctets = 1 << type;
            }
        }

        // Where each packet may stand: session keys first, one data packet, padding after it.
        switch (_tag)
        {
            case TagMarker when _phase == Phase.BeforeSessionKeys:
                break;
            case TagPkesk or TagSkesk when _phase is Phase.BeforeSessionKeys or Phase.SessionKeys:
                _phase = Phase.SessionKeys;
                break;
            case TagSed or TagSeipd or TagOcb when _phase == Phase.SessionKeys:
                _phase = Phase.EncryptedData;
                break;
            case TagPadding when _phase == Phase.AfterEncryptedData:
                break;
            default:
                _invalid = true;
                return;
        }

        _versionPending = _tag is TagPkesk or TagSkesk or TagSeipd or TagOcb;
        if (_indeterminate)
        {
            // Only the data packet may run to the end of the input.
            if (_phase != Phase.EncryptedData)
                _invalid = true;
            else
                _step = Step.Body;
            return;
        }

        _step = Step.Length;
    }

    private void TryFinishLength()
    {
        bool continuation = _continuation;
        long length;
        if (!_newFormat)
        {
            if (_lengthHave < _oldLengthOctets)
                return;
            length = 0;
            for (int i = 0; i < _oldLengthOctets; i++)
                length = (length << 8) | _lengthOctets[i];
        }
        else
        {
            byte o1 = _lengthOctets[0];
            if (o1 < 192)
            {
                length = o1;
            }
            else if (o1 < 224)
            {
                if (_lengthHave < 2)
                    return;
                length = ((o1 - 192) << 8) + _lengthOctets[1] + 192;
            }
            else if (o1 == 255)
            {
                if (_lengthHave < 5)
                    return;
                length = ((long)_lengthOctets[1] << 24) | ((long)_lengthOctets[2] << 16) | ((long)_lengthOctets[3] << 8) | _lengthOctets[4];
            }
            else
            {
                // A partial body length: only data packets may be split so.
                if (_phase != Phase.EncryptedData)
                {
                    _invalid = true;
                    return;
                }

                _partial = true;
                length = 1L << (o1 & 0x1F);
            }
        }

        _continuation = false;
        _bodyLeft = length;
        _lengthHave = 0;
        _step = Step.Body;
        if (length == 0)
        {
            // Empty is only the last piece of a split data packet, or padding; a session key or
            // data packet needs at least its version octet.
            if (!continuation && _tag is not (TagPadding or TagMarker))
                _invalid = true;
            else
                EndChunk();
        }
    }

    private void EndChunk()
    {
        if (_partial)
        {
            // The next length of the same packet follows.
            _partial = false;
            _continuation = true;
            _step = Step.Length;
            _newFormat = true;
            return;
        }

        _step = Step.Tag;
        if (_phase == Phase.EncryptedData)
            _phase = Phase.AfterEncryptedData;
    }

    private void CheckVersion(byte version)
    {
        bool ok = _tag switch
        {
            TagPkesk => version is 3 or 6,
            TagSkesk => version is 4 or 5 or 6,
            TagSeipd => version is 1 or 2,
            TagOcb => version == 1,
            _ => true,
        };
        if (!ok)
            _invalid = true;
    }
}
